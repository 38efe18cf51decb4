import { MemoryLogStore } from "../src/store/memory-store";
import { ReadSplitLogStore } from "../src/store/read-split";
import { entry } from "./fixtures";

describe("ReadSplitLogStore", () => {
  it("writes to the primary store and reads from the replica store only", async () => {
    const primary = new MemoryLogStore();
    const replica = new MemoryLogStore();
    const store = new ReadSplitLogStore(primary, replica);
    const e = entry({ orgId: "org-1", requestId: "req-split" });
    expect(await store.append([e])).toBe(1);
    expect(await primary.get("org-1", "req-split")).toEqual(e);
    // Not replayed yet: the replica does not have it, and reads say so.
    expect(await store.get("org-1", "req-split")).toBeUndefined();
    expect((await store.query({ orgId: "org-1", limit: 10 })).records).toEqual([]);
    await replica.append([e]); // replication caught up
    expect(await store.get("org-1", "req-split")).toEqual(e);
    const usage = await store.usage({ orgId: "org-1", fromMs: e.timestampMs - 60_000, toMs: e.timestampMs + 60_000, granularity: "minute" });
    expect(usage.reduce((n, b) => n + b.requests, 0)).toBe(1);
  });
});
