/**
 * The audit store writes rows with COPY's text format (src/store/copy-logs.ts): a value must never
 * end its column or row early, turn into NULL (`\N`) or end the data (`\.`). Hostile paths, user
 * agents and errors go in over the real gRPC wire into Postgres and come back byte for byte, and
 * the records beside them are untouched.
 */
import { copyLogRows, copyText } from "../src/store/copy-logs";
import { entry } from "./fixtures";
import { startAudit, wire, type AuditHarness } from "./harness";

const T0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
const HOSTILE = ["a\tb", "line1\nline2", "cr\rlf", "back\\slash", "\\N", "\\.", "\\.\n\\.", "tab\t\\N\tend", "ünïcödé ✓ 😀", "\\\\\\"];

test("copyText escapes exactly backslash, newline, carriage return and tab", () => {
  expect(copyText("plain /path?q=1")).toBe("plain /path?q=1");
  expect(copyText("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
  expect(copyText("\\N")).toBe("\\\\N");
  // One line per record, 16 columns, whatever the values hold.
  const rows = copyLogRows(HOSTILE.map((v) => ({ ...entry({ path: v, userAgent: v, error: v }), timestampMs: T0 })) as never);
  const lines = rows.split("\n");
  expect(lines).toHaveLength(HOSTILE.length + 1);
  for (const line of lines.slice(0, -1)) expect(line.split("\t")).toHaveLength(16);
});

describe("hostile values over the wire into Postgres", () => {
  let h: AuditHarness;
  beforeAll(async () => {
    h = await startAudit();
  });
  afterAll(async () => h?.close());

  it("stores every value byte for byte and keeps the rows beside it intact", async () => {
    const records = HOSTILE.map((v, i) => entry({ orgId: "org-copy", requestId: `hostile-${i}`, timestampMs: T0 + i, path: `/p/${v}`, userAgent: v, error: v, route: v }));
    records.push(entry({ orgId: "org-copy", requestId: "plain", timestampMs: T0 + 100, path: "/plain" }));
    const res = await h.client.appendLogsStream({ records: records.map(wire) });
    expect(res).toMatchObject({ accepted: records.length, rejected: 0 });
    for (const [i, v] of HOSTILE.entries()) {
      const got = (await h.client.getLog({ orgId: "org-copy", requestId: `hostile-${i}` })).record!;
      expect({ path: got.path, userAgent: got.userAgent, error: got.error, route: got.route }).toEqual({ path: `/p/${v}`, userAgent: v, error: v, route: v });
    }
    expect((await h.client.getLog({ orgId: "org-copy", requestId: "plain" })).record!.path).toBe("/plain");
    const { rows } = await h.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit.request_logs WHERE org_id = 'org-copy'");
    expect(rows[0]!.n).toBe(records.length);
  });

  it("refuses a timestamp past the year 9999 as one rejected record, and stores the rest", async () => {
    const res = await h.client.appendLogsStream({
      records: [wire(entry({ orgId: "org-copy", requestId: "far", timestampMs: 253_402_300_800_000 })), wire(entry({ orgId: "org-copy", requestId: "near", timestampMs: T0 }))],
    });
    expect(res).toMatchObject({ accepted: 1, rejected: 1 });
    expect((await h.client.getLog({ orgId: "org-copy", requestId: "near" })).record!.timestampMs).toBe(BigInt(T0));
  });
});
