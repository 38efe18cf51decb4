import { MemoryLogStore } from "../src/store/memory-store";
import type { LogEntry, LogQuery, LogStore } from "../src/store/types";
import { entry, mixedBatch } from "./fixtures";

const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

/** Pages through a query with cursors and returns every record, asserting page sizes. */
async function pageAll(store: LogStore, q: Omit<LogQuery, "cursor">): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  let cursor: LogQuery["cursor"];
  for (let i = 0; i < 1000; i++) {
    const page = await store.query({ ...q, cursor });
    expect(page.records.length).toBeLessThanOrEqual(q.limit);
    all.push(...page.records);
    if (!page.nextCursor) return all;
    expect(page.records.length).toBe(q.limit);
    cursor = page.nextCursor;
  }
  throw new Error("did not finish paging");
}

describe("MemoryLogStore queries", () => {
  let store: MemoryLogStore;
  const batch = mixedBatch(60, T0);
  beforeEach(async () => {
    store = new MemoryLogStore();
    await store.append(batch);
    await store.append(mixedBatch(5, T0, "org-2"));
  });

  it("lists one org newest first", async () => {
    const page = await store.query({ orgId: "org-1", limit: 1000 });
    expect(page.records).toHaveLength(60);
    expect(page.records[0]!.requestId).toBe("req-59");
    expect(page.records.every((r) => r.orgId === "org-1")).toBe(true);
    expect(page.nextCursor).toBeUndefined();
  });

  it.each([
    ["keyId", { keyId: "key-1" }, (r: LogEntry) => r.keyId === "key-1", 20],
    ["status", { status: 429 }, (r: LogEntry) => r.status === 429, 12],
    ["method", { method: "DELETE" }, (r: LogEntry) => r.method === "DELETE", 20],
    ["path prefix", { pathPrefix: "/api/users/" }, (r: LogEntry) => r.path.startsWith("/api/users/"), 20],
    ["path prefix with LIKE wildcards taken literally", { pathPrefix: "/api/a_b%" }, (r: LogEntry) => r.path.startsWith("/api/a_b%"), 20],
    ["time range (from inclusive, to exclusive)", { fromMs: T0 + 10_000, toMs: T0 + 20_000 }, (r: LogEntry) => r.timestampMs >= T0 + 10_000 && r.timestampMs < T0 + 20_000, 10],
  ])("filters by %s", async (_name, filter, pred, expected) => {
    const page = await store.query({ orgId: "org-1", limit: 1000, ...filter });
    expect(page.records).toHaveLength(expected);
    expect(page.records.every(pred)).toBe(true);
  });

  it("pages newest first with cursors, without duplicates or gaps", async () => {
    const all = await pageAll(store, { orgId: "org-1", limit: 7 });
    expect(all.map((r) => r.requestId)).toEqual([...batch].reverse().map((r) => r.requestId));
  });

  it("breaks timestamp ties by insertion order so equal timestamps never repeat or vanish across pages", async () => {
    const s = new MemoryLogStore();
    await s.append(Array.from({ length: 10 }, (_, i) => entry({ requestId: `same-${i}`, timestampMs: T0 })));
    const all = await pageAll(s, { orgId: "org-1", limit: 3 });
    expect(all.map((r) => r.requestId)).toEqual(Array.from({ length: 10 }, (_, i) => `same-${9 - i}`));
  });

  it("get returns the newest record of a reused request id, only within the org", async () => {
    const s = new MemoryLogStore();
    await s.append([entry({ requestId: "dup", timestampMs: T0, status: 200 }), entry({ requestId: "dup", timestampMs: T0 + 5, status: 503 })]);
    await s.append([entry({ requestId: "dup", timestampMs: T0 + 1, status: 201 })]);
    expect((await s.get("org-1", "dup"))!.status).toBe(503);
    expect(await s.get("org-2", "dup")).toBeUndefined();
  });
});

describe("MemoryLogStore usage", () => {
  it("counts requests, errors (>= 400 except 429) and rate limited (429) per bucket", async () => {
    const s = new MemoryLogStore();
    const statuses = [200, 404, 429, 500, 302, 429];
    await s.append(statuses.map((status, i) => entry({ requestId: `r${i}`, timestampMs: T0 + i * 20_000, status })));
    const minutes = await s.usage({ orgId: "org-1", fromMs: T0, toMs: T0 + 180_000, granularity: "minute" });
    expect(minutes.map((b) => [b.bucketMs - T0, b.requests, b.errors, b.rateLimited])).toEqual([
      [0, 3, 1, 1],
      [60_000, 3, 1, 1],
      [120_000, 0, 0, 0],
    ]);
    const hours = await s.usage({ orgId: "org-1", fromMs: T0, toMs: T0 + 7_200_000, granularity: "hour" });
    expect(hours.map((b) => [b.requests, b.errors, b.rateLimited])).toEqual([[6, 2, 2], [0, 0, 0]]);
  });

  it("filters usage by key and org", async () => {
    const s = new MemoryLogStore();
    await s.append([entry({ keyId: "a" }), entry({ keyId: "b" }), entry({ keyId: "b" }), entry({ orgId: "org-2" })]);
    const day = Date.UTC(2030, 0, 1);
    const [b] = await s.usage({ orgId: "org-1", keyId: "b", fromMs: day, toMs: day + 86_400_000, granularity: "day" });
    expect(b!.requests).toBe(2);
    const [all] = await s.usage({ orgId: "org-1", fromMs: day, toMs: day + 86_400_000, granularity: "day" });
    expect(all!.requests).toBe(3);
  });

  it("estimates p50/p95 from histograms merged across minutes", async () => {
    const s = new MemoryLogStore();
    // 100 requests over the 60 minutes of one hour, durations 1..100 ms.
    await s.append(Array.from({ length: 100 }, (_, i) => entry({ requestId: `r${i}`, timestampMs: T0 + (i % 60) * 60_000, durationMs: i + 1 })));
    const [h] = await s.usage({ orgId: "org-1", fromMs: T0, toMs: T0 + 3_600_000, granularity: "hour" });
    expect(h!.requests).toBe(100);
    // True p50 = 50 ms, p95 = 95 ms; bucket bounds 30/50/75/100 bound the estimate.
    expect(h!.p50Ms).toBeGreaterThan(30);
    expect(h!.p50Ms).toBeLessThanOrEqual(50);
    expect(h!.p95Ms).toBeGreaterThan(75);
    expect(h!.p95Ms).toBeLessThanOrEqual(100);
  });
});
