import { audit } from "@datahub/proto";
import { GrpcStatus, isServiceError } from "@datahub/runtime";
import { createDayPartition, partitionName, runPartitionMaintenance } from "../src/partitions";
import { entry, mixedBatch } from "./fixtures";
import { startAudit, wire, type AuditHarness, type Init } from "./harness";

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
// Hour-aligned and inside the partitions created at start (yesterday..today+ahead).
const T0 = Math.floor((Date.now() - 2 * 3_600_000) / 3_600_000) * 3_600_000;

async function rpcCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (isServiceError(e)) return e.code;
    throw e;
  }
  throw new Error("expected the RPC to fail");
}

let h: AuditHarness;
const batch = mixedBatch(60, T0, "org-int");

beforeAll(async () => {
  h = await startAudit();
  const res = await h.client.appendLogsStream({ records: batch.map(wire) });
  expect(res).toMatchObject({ accepted: 60, rejected: 0 });
});
afterAll(async () => h?.close());

async function pageAll(req: Init<audit.QueryLogsRequest>, limit: number): Promise<audit.LogRecord[]> {
  const out: audit.LogRecord[] = [];
  let cursor = "";
  for (let i = 0; i < 500; i++) {
    const page = await h.client.queryLogs({ orgId: "org-int", ...req, limit, cursor });
    out.push(...page.records);
    if (!page.nextCursor) return out;
    expect(page.records).toHaveLength(limit);
    cursor = page.nextCursor;
  }
  throw new Error("paging did not end");
}

describe("AppendLogs + QueryLogs", () => {
  it("returns every field as appended, newest first", async () => {
    const { records } = await h.client.queryLogs({ orgId: "org-int", limit: 1 });
    const newest = batch[batch.length - 1]!;
    expect({ ...records[0]!, $typeName: undefined }).toEqual({ ...wire(newest), traceparent: "", $typeName: undefined });
  });

  it("pages through with cursors newest first without duplicates or gaps", async () => {
    const all = await pageAll({}, 7);
    expect(all.map((r) => r.requestId)).toEqual([...batch].reverse().map((r) => r.requestId));
  });

  it.each([
    ["key_id", { keyId: "key-2" }, (e: (typeof batch)[number]) => e.keyId === "key-2"],
    ["status", { status: 429 }, (e: (typeof batch)[number]) => e.status === 429],
    ["method", { method: "delete" }, (e: (typeof batch)[number]) => e.method === "DELETE"],
    ["path_prefix", { pathPrefix: "/api/users/" }, (e: (typeof batch)[number]) => e.path.startsWith("/api/users/")],
    ["path_prefix with LIKE wildcards", { pathPrefix: "/api/a_b%/" }, (e: (typeof batch)[number]) => e.path.startsWith("/api/a_b%/")],
    ["path_prefix where _ must not match any character", { pathPrefix: "/api/aXb" }, () => false],
    ["from/to", { fromMs: BigInt(T0 + 10_000), toMs: BigInt(T0 + 25_000) }, (e: (typeof batch)[number]) => e.timestampMs >= T0 + 10_000 && e.timestampMs < T0 + 25_000],
    ["key_id + status", { keyId: "key-0", status: 200 }, (e: (typeof batch)[number]) => e.keyId === "key-0" && e.status === 200],
  ])("filters by %s and pages the filtered set", async (_name, filter, pred) => {
    const expected = [...batch].reverse().filter(pred).map((e) => e.requestId);
    expect((await pageAll(filter, 4)).map((r) => r.requestId)).toEqual(expected);
  });

  it("never shows another org's records", async () => {
    expect((await h.client.queryLogs({ orgId: "org-other" })).records).toHaveLength(0);
  });

  it("skips invalid records, truncates over-long fields and stores the rest", async () => {
    const res = await h.client.appendLogsStream({
      records: [
        wire(entry({ orgId: "org-trunc", requestId: "ok-long", path: "/" + "p".repeat(5000), timestampMs: T0 })),
        wire(entry({ orgId: "org-trunc", requestId: "bad-status", status: 42, timestampMs: T0 })),
        wire(entry({ orgId: "org-trunc", requestId: "", timestampMs: T0 })),
      ],
    });
    expect(res).toMatchObject({ accepted: 1, rejected: 2 });
    const { record } = await h.client.getLog({ orgId: "org-trunc", requestId: "ok-long" });
    expect(record!.path).toHaveLength(2048);
  });
});

describe("GetLog", () => {
  it("returns the newest record of a reused request id", async () => {
    await h.client.appendLogsStream({
      records: [
        wire(entry({ orgId: "org-dup", requestId: "dup", timestampMs: T0 + 1000, status: 201 })),
        wire(entry({ orgId: "org-dup", requestId: "dup", timestampMs: T0 + 3000, status: 503 })),
      ],
    });
    await h.client.appendLogsStream({ records: [wire(entry({ orgId: "org-dup", requestId: "dup", timestampMs: T0 + 2000, status: 202 }))] });
    expect((await h.client.getLog({ orgId: "org-dup", requestId: "dup" })).record!.status).toBe(503);
  });

  it("is NOT_FOUND for an unknown id or another org's id", async () => {
    expect(await rpcCode(h.client.getLog({ orgId: "org-dup", requestId: "nope" }))).toBe(GrpcStatus.NOT_FOUND);
    expect(await rpcCode(h.client.getLog({ orgId: "org-int-2", requestId: "dup" }))).toBe(GrpcStatus.NOT_FOUND);
  });
});

describe("GetUsage", () => {
  const usage = (g: audit.Granularity, fromMs: number, toMs: number, keyId = "") =>
    h.client.getUsage({ orgId: "org-int", granularity: g, fromMs: BigInt(fromMs), toMs: BigInt(toMs), keyId });

  it("counts per minute from the rollups (errors exclude 429)", async () => {
    // 60 records one second apart from T0: exactly minute T0. Statuses cycle 200,201,404,429,500.
    const { buckets } = await usage(audit.Granularity.MINUTE, T0, T0 + 120_000);
    expect(buckets.map((b) => [Number(b.bucketMs) - T0, Number(b.requests), Number(b.errors), Number(b.rateLimited)])).toEqual([
      [0, 60, 24, 12],
      [60_000, 0, 0, 0],
    ]);
    expect(buckets[0]!.p50Ms).toBeGreaterThan(0);
    expect(buckets[0]!.p95Ms).toBeGreaterThanOrEqual(buckets[0]!.p50Ms);
  });

  it("merges minutes into hours and days, and filters by key", async () => {
    const hour = Math.floor(T0 / 3_600_000) * 3_600_000;
    const hours = await usage(audit.Granularity.HOUR, hour, hour + 3_600_000);
    expect(hours.buckets.map((b) => Number(b.requests))).toEqual([60]);
    const day = Math.floor(T0 / DAY) * DAY;
    const days = await usage(audit.Granularity.DAY, day, day + DAY, "key-1");
    expect(days.buckets.map((b) => [Number(b.bucketMs), Number(b.requests)])).toEqual([[day, 20]]);
  });

  it("adds up rollups of later batches in the same minute", async () => {
    await h.client.appendLogsStream({ records: [wire(entry({ orgId: "org-int", requestId: "late", timestampMs: T0 + 59_000, status: 429, keyId: "key-1" }))] });
    const { buckets } = await usage(audit.Granularity.MINUTE, T0, T0 + 60_000, "key-1");
    expect(buckets.map((b) => [Number(b.requests), Number(b.rateLimited)])).toEqual([[21, 5]]);
  });

  it("refuses more than 10,000 buckets with INVALID_ARGUMENT", async () => {
    expect(await rpcCode(usage(audit.Granularity.MINUTE, T0 - 8 * DAY, T0))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});

describe("bad input", () => {
  it.each([
    ["a batch over 10,000 records", () => h.client.appendLogsStream({ records: Array.from({ length: 10_001 }, () => wire(entry())) })],
    ["a query without org", () => h.client.queryLogs({ orgId: "" })],
    ["a forged cursor", () => h.client.queryLogs({ orgId: "org-int", cursor: "eyJub3QiOiJpdCJ9" })],
    ["a limit over 1000", () => h.client.queryLogs({ orgId: "org-int", limit: 5000 })],
    ["from after to", () => h.client.queryLogs({ orgId: "org-int", fromMs: 10n, toMs: 5n })],
    ["GetLog without request id", () => h.client.getLog({ orgId: "org-int", requestId: "" })],
  ])("answers INVALID_ARGUMENT to %s", async (_n, call) => {
    expect(await rpcCode(call())).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});

describe("partitions", () => {
  const partitions = async () =>
    (await h.pool.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit.request_logs'::regclass",
    )).rows.map((r) => r.name);

  it("exist from yesterday to today + partitionsAhead, plus DEFAULT", async () => {
    const names = await partitions();
    const ahead = h.runner.config.audit.partitionsAhead;
    for (let d = -1; d <= ahead; d++) expect(names).toContain(partitionName(today + d * DAY));
    expect(names).toContain("request_logs_default");
  });

  it("drops partitions wholly older than the retention and keeps newer ones", async () => {
    const client = await h.pool.connect();
    try {
      await createDayPartition(client, today - 10 * DAY);
      await createDayPartition(client, today - 3 * DAY);
    } finally {
      client.release();
    }
    await h.client.appendLogsStream({ records: [wire(entry({ orgId: "org-old", requestId: "old", timestampMs: today - 10 * DAY + 5000 }))] });
    const result = await runPartitionMaintenance(h.pool, { retentionDays: 5, partitionsAhead: 3 });
    expect(result.dropped).toEqual([partitionName(today - 10 * DAY)]);
    const names = await partitions();
    expect(names).not.toContain(partitionName(today - 10 * DAY));
    expect(names).toContain(partitionName(today - 3 * DAY));
    expect(await rpcCode(h.client.getLog({ orgId: "org-old", requestId: "old" }))).toBe(GrpcStatus.NOT_FOUND);
  });

  it("parks a record with no partition in DEFAULT, then moves it into its day's partition", async () => {
    const future = today + 20 * DAY + 1234;
    const res = await h.client.appendLogsStream({ records: [wire(entry({ orgId: "org-future", requestId: "future", timestampMs: future }))] });
    expect(res.accepted).toBe(1);
    const where = async () =>
      (await h.pool.query<{ part: string }>("SELECT tableoid::regclass::text AS part FROM audit.request_logs WHERE org_id = 'org-future'")).rows[0]!.part;
    expect(await where()).toBe("audit.request_logs_default");
    const result = await runPartitionMaintenance(h.pool, { retentionDays: 30, partitionsAhead: 21 });
    expect(result.moved).toBe(1);
    expect(await where()).toBe(`audit.${partitionName(today + 20 * DAY)}`);
    expect((await h.client.getLog({ orgId: "org-future", requestId: "future" })).record!.timestampMs).toBe(BigInt(future));
  });

  it("skips a run while another replica holds the maintenance lock, and tolerates concurrent runs", async () => {
    const other = await h.pool.connect();
    try {
      await other.query("SELECT pg_advisory_lock($1::bigint)", [0x6461746168756201n.toString()]);
      expect((await runPartitionMaintenance(h.pool, { retentionDays: 30, partitionsAhead: 3 })).skipped).toBe(true);
    } finally {
      await other.query("SELECT pg_advisory_unlock_all()");
      other.release();
    }
    const runs = await Promise.all([1, 2].map(() => runPartitionMaintenance(h.pool, { retentionDays: 30, partitionsAhead: 5 })));
    const created = runs.flatMap((r) => r.created);
    expect(new Set(created).size).toBe(created.length); // no partition created twice
    expect(await partitions()).toContain(partitionName(today + 5 * DAY));
  });
});

describe("throughput and metrics", () => {
  it("appends batches of 1,000 over gRPC and counts inserted rows", async () => {
    const before = (await h.runner.registry.getSingleMetric("datahub_audit_rows_inserted_total")!.get()).values[0]!.value;
    const batches = 20;
    const started = performance.now();
    for (let b = 0; b < batches; b++) {
      const recs = Array.from({ length: 1000 }, (_, i) =>
        wire(entry({ orgId: "org-bench", requestId: `b${b}-${i}`, keyId: `k${i % 10}`, timestampMs: T0 + b * 1000 + i, durationMs: i % 200 })),
      );
      expect((await h.client.appendLogsStream({ records: recs })).accepted).toBe(1000);
    }
    const seconds = (performance.now() - started) / 1000;
    const sequential = Math.round((batches * 1000) / seconds);

    const concurrentStart = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, (_, w) =>
        (async () => {
          for (let b = 0; b < 5; b++) {
            const recs = Array.from({ length: 1000 }, (_, i) =>
              wire(entry({ orgId: "org-bench", requestId: `c${w}-${b}-${i}`, keyId: `k${i % 10}`, timestampMs: T0 + i, durationMs: 5 })),
            );
            await h.client.appendLogsStream({ records: recs });
          }
        })(),
      ),
    );
    const concurrent = Math.round(20_000 / ((performance.now() - concurrentStart) / 1000));
    console.log(`audit AppendLogs throughput (batches of 1,000 over gRPC): sequential ${sequential} rows/s, 4 concurrent callers ${concurrent} rows/s`);
    expect(sequential).toBeGreaterThan(1000);
    const after = (await h.runner.registry.getSingleMetric("datahub_audit_rows_inserted_total")!.get()).values[0]!.value;
    expect(after - before).toBe(40_000);
    const { rows } = await h.pool.query("SELECT sum(requests)::int AS n FROM audit.usage_minute WHERE org_id = 'org-bench'");
    expect(rows[0].n).toBe(40_000);
  });
});
