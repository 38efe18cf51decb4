import { Redis } from "ioredis";
import { TEST_REDIS_URL, uniqueSuffix } from "@datahub/runtime/testing";
import { Algorithm, RedisRateLimiter } from "../src/index";
import { describeAlgorithms } from "./algorithms-behaviour";
import { deleteKeys } from "./redis-helpers";

const prefix = `rlalgo${uniqueSuffix()}`;
const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
const limiter = new RedisRateLimiter({ client: redis, prefix, maxLogLimit: 10_000, timeoutMs: 2000 });

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describeAlgorithms("RedisRateLimiter", async () => ({
  limiter,
  advance: (ms) => new Promise((r) => setTimeout(r, ms)),
  tolerance: 100,
  exactClock: false,
}));

/** MEMORY USAGE (SAMPLES 0: every element) of one key after `units` admitted units. */
async function memoryOf(algorithm: Algorithm, units: number): Promise<number> {
  const key = `{mem-${algorithm}-${units}}:k`;
  await limiter.check([[{ key, limit: 10_000, windowMs: 3_600_000, cost: units, algorithm }]]);
  return (await redis.call("MEMORY", "USAGE", `${prefix}:rl:${key}`, "SAMPLES", "0")) as number;
}

describe("memory per key (MEMORY USAGE; the numbers in docs/ratelimiting.md)", () => {
  it("is O(1) for gcra, sliding-window and fixed-window, and grows with the count for sliding-log", async () => {
    const rows: string[] = [];
    for (const [name, a] of [["sliding-log", Algorithm.SLIDING_LOG], ["gcra", Algorithm.GCRA], ["sliding-window", Algorithm.SLIDING_WINDOW], ["fixed-window", Algorithm.FIXED_WINDOW]] as const) {
      const sizes = [];
      for (const units of [1, 100, 1000]) sizes.push(await memoryOf(a, units));
      rows.push(`${name}: ${sizes.join(" / ")} bytes after 1 / 100 / 1,000 units`);
      if (a === Algorithm.SLIDING_LOG) expect(sizes[2]!).toBeGreaterThan(sizes[0]! * 50);
      else {
        expect(sizes[0]!).toBeLessThanOrEqual(128);
        expect(sizes[2]!).toBe(sizes[1]!);
      }
    }
    process.stdout.write(rows.join("\n") + "\n");
  });
});
