import { create } from "@bufbuild/protobuf";
import { audit } from "@datahub/proto";
import { GrpcStatus, RpcError } from "@datahub/runtime";
import { decodeCursor, encodeCursor } from "../src/cursor";
import { likePrefix } from "../src/store/sql";
import type { Init } from "./harness";
import { MAX_LENGTHS, normalizeRecord, parseLogQuery, parseUsageQuery } from "../src/validate";

const record = (over: Init<audit.LogRecord> = {}) =>
  create(audit.LogRecordSchema, { requestId: "r1", timestampMs: 1_900_000_000_000n, method: "get", path: "/x", status: 200, orgId: "o", ...over });

function invalidArgument(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RpcError);
    expect((e as RpcError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect((e as RpcError).message).toContain(field);
    return;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("normalizeRecord", () => {
  it("upper-cases the method and converts int64 fields", () => {
    const r = normalizeRecord(record({ bytesIn: 5n }));
    expect("entry" in r && r.entry).toMatchObject({ method: "GET", timestampMs: 1_900_000_000_000, bytesIn: 5 });
  });

  it("truncates over-long path and user agent instead of rejecting, and strips NUL", () => {
    const r = normalizeRecord(record({ path: "/" + "a".repeat(10_000), userAgent: "u\u0000".repeat(2000) }));
    if (!("entry" in r)) throw new Error(r.reason);
    expect(r.entry.path).toHaveLength(MAX_LENGTHS.path);
    expect(r.entry.userAgent).toBe("u".repeat(MAX_LENGTHS.userAgent));
  });

  it("does not cut a surrogate pair in half", () => {
    const r = normalizeRecord(record({ path: "a".repeat(MAX_LENGTHS.path - 1) + "😀" }));
    if (!("entry" in r)) throw new Error(r.reason);
    expect(r.entry.path).toBe("a".repeat(MAX_LENGTHS.path - 1));
  });

  it.each([
    ["empty request id", { requestId: "" }, "request_id"],
    ["missing timestamp", { timestampMs: 0n }, "timestamp_ms"],
    ["bad method", { method: "GE T" }, "method"],
    ["status out of range", { status: 99 }, "status"],
    ["status too high", { status: 600 }, "status"],
  ])("rejects a record with %s", (_n, over, field) => {
    const r = normalizeRecord(record(over as Init<audit.LogRecord>));
    expect("reason" in r && r.reason).toContain(field);
  });
});

describe("parseLogQuery", () => {
  const q = (over: Init<audit.QueryLogsRequest> = {}) => create(audit.QueryLogsRequestSchema, { orgId: "o", ...over });
  it("defaults the limit to 50", () => expect(parseLogQuery(q()).limit).toBe(50));
  it("requires org_id", () => invalidArgument(() => parseLogQuery(q({ orgId: "" })), "org_id"));
  it("refuses a limit over 1000", () => invalidArgument(() => parseLogQuery(q({ limit: 1001 })), "limit"));
  it("refuses a forged cursor", () => invalidArgument(() => parseLogQuery(q({ cursor: "not-a-cursor" })), "cursor"));
  it("refuses from >= to", () => invalidArgument(() => parseLogQuery(q({ fromMs: 5n, toMs: 5n })), "from_ms"));
  it("refuses a status filter out of range", () => invalidArgument(() => parseLogQuery(q({ status: 42 })), "status"));
  it("round-trips a cursor", () => {
    const c = { tsMs: 1_900_000_000_123, id: 42 };
    expect(parseLogQuery(q({ cursor: encodeCursor(c) })).cursor).toEqual(c);
    expect(decodeCursor(Buffer.from('["x",1]').toString("base64url"))).toBeUndefined();
  });
});

describe("parseUsageQuery", () => {
  const u = (over: Init<audit.GetUsageRequest> = {}) => create(audit.GetUsageRequestSchema, { orgId: "o", ...over });
  const now = Date.UTC(2030, 0, 2, 10, 30);
  it("defaults to the last 24 hours by hour, widened to whole buckets", () => {
    const q = parseUsageQuery(u(), now);
    expect(q).toMatchObject({ granularity: "hour", fromMs: Date.UTC(2030, 0, 1, 10), toMs: Date.UTC(2030, 0, 2, 11) });
  });
  it("refuses more than 10,000 buckets", () =>
    invalidArgument(() => parseUsageQuery(u({ granularity: audit.Granularity.MINUTE, fromMs: BigInt(now - 8 * 86_400_000), toMs: BigInt(now) }), now), "10000"));
  it("accepts 7 days by minute (10,080 buckets is over; 6 days is not)", () => {
    expect(parseUsageQuery(u({ granularity: audit.Granularity.MINUTE, fromMs: BigInt(now - 6 * 86_400_000), toMs: BigInt(now) }), now).granularity).toBe("minute");
  });
});

describe("likePrefix", () => {
  it("escapes LIKE wildcards and the escape character", () => expect(likePrefix("/a_b%c\\d")).toBe("/a\\_b\\%c\\\\d%"));
});
