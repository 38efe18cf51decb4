import calculateSlot from "cluster-key-slot";
import type { RedisClient } from "@datahub/runtime";
import { RedisRateLimiter, MAX_GROUPS_PER_SCRIPT } from "../src/redis-limiter";
import type { DescriptorInput } from "../src/types";

/**
 * A stand-in for an ioredis client that records each script call and answers it by echoing every
 * descriptor's limit, so the test can see how groups were split and where each answer went back.
 */
function fakeClient(isCluster: boolean) {
  const calls: string[][] = [];
  const client = {
    isCluster,
    defineCommand(name: string) {
      (client as unknown as Record<string, unknown>)[name] = async (numKeys: number, ...rest: Array<string | number>) => {
        const keys = rest.slice(0, numKeys) as string[];
        calls.push(keys);
        const argv = rest.slice(numKeys);
        const out: number[] = [];
        let a = 1;
        for (let g = 0; g < Number(argv[0]); g++) {
          const n = Number(argv[a++]);
          for (let i = 0; i < n; i++, a += 4) out.push(1, Number(argv[a + 1]), 0, 0, 0);
        }
        return out;
      };
    },
  };
  return { client: client as unknown as RedisClient, calls };
}

const d = (key: string, limit: number): DescriptorInput => ({ key, limit, windowMs: 1000, cost: 1, algorithm: 0 });
const slot = (key: string) => calculateSlot(`p:rl:${key}`);

describe("RedisRateLimiter script calls", () => {
  it("sends every group to one script call on a single Redis", async () => {
    const { client, calls } = fakeClient(false);
    const rl = new RedisRateLimiter({ client, prefix: "p", maxLogLimit: 100, timeoutMs: 1000 });
    const out = await rl.check([[d("{a}:x", 1), d("{a}:y", 2)], [d("{b}:x", 3)], [d("{c}:x", 4)]]);
    expect(calls).toEqual([["p:rl:{a}:x", "p:rl:{a}:y", "p:rl:{b}:x", "p:rl:{c}:x"]]);
    expect(out.map((g) => g.map((x) => x.limit))).toEqual([[1, 2], [3], [4]]);
  });

  it("buckets groups by cluster slot, keeps their order within a slot and maps answers back", async () => {
    expect(new Set([slot("{a}:x"), slot("{b}:x"), slot("{c}:x")]).size).toBe(3);
    const { client, calls } = fakeClient(true);
    const rl = new RedisRateLimiter({ client, prefix: "p", maxLogLimit: 100, timeoutMs: 1000 });
    const out = await rl.check([[d("{a}:x", 1)], [d("{b}:x", 2), d("{b}:y", 3)], [d("{a}:y", 4)], [d("{c}:x", 5)], [d("{a}:x", 6)]]);
    expect(calls).toEqual([
      ["p:rl:{a}:x", "p:rl:{a}:y", "p:rl:{a}:x"],
      ["p:rl:{b}:x", "p:rl:{b}:y"],
      ["p:rl:{c}:x"],
    ]);
    expect(out.map((g) => g.map((x) => x.limit))).toEqual([[1], [2, 3], [4], [5], [6]]);
  });

  it(`caps one script call at ${MAX_GROUPS_PER_SCRIPT} groups`, async () => {
    for (const isCluster of [false, true]) {
      const { client, calls } = fakeClient(isCluster);
      const rl = new RedisRateLimiter({ client, prefix: "p", maxLogLimit: 10_000, timeoutMs: 1000 });
      const n = MAX_GROUPS_PER_SCRIPT * 2 + 1;
      const out = await rl.check(Array.from({ length: n }, (_, i) => [d(`{a}:${i}`, i + 1)]));
      expect(calls.map((c) => c.length)).toEqual([MAX_GROUPS_PER_SCRIPT, MAX_GROUPS_PER_SCRIPT, 1]);
      expect(out.map((g) => g[0]!.limit)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
  });
});
