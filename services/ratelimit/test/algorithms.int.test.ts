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

describe("sliding-window accuracy on a real Redis (real time, Redis TIME)", () => {
  it("admits within 1 % of the exact sliding log under a steady 2x overload", async () => {
    // Every request asks both algorithms in one script call, so both see the same Redis TIME: the
    // only difference between the two counts is the counter's approximation.
    // The counter's error is about one request per window whatever the limit (measured: -1.0 % at
    // a limit of 100, here and on the memory twin in algorithms.test.ts), so a limit of 200 keeps
    // "within 1 %" clear of the bound on a loaded machine.
    const limit = 200;
    const windowMs = 1000;
    const windows = 12;
    const gapMs = windowMs / (limit * 2);
    const k = uniqueSuffix();
    const sw = { key: `{acc-${k}}:sw`, limit, windowMs, cost: 1, algorithm: Algorithm.SLIDING_WINDOW };
    const sl = { key: `{acc-${k}}:sl`, limit, windowMs, cost: 1, algorithm: Algorithm.SLIDING_LOG };
    const start = performance.now();
    let admittedSw = 0;
    let admittedSl = 0;
    let offered = 0;
    for (let i = 0; ; i++) {
      const due = start + i * gapMs;
      const now = performance.now();
      if (now >= start + windows * windowMs) break;
      if (due > now) await new Promise((r) => setTimeout(r, due - now));
      const [a, b] = await limiter.check([[sw], [sl]]);
      // The steady state: windows 2 to 10.
      const at = performance.now() - start;
      if (at >= 2 * windowMs && at < 10 * windowMs) {
        offered++;
        if (a![0]!.allowed) admittedSw++;
        if (b![0]!.allowed) admittedSl++;
      }
    }
    // The exact log admits `limit` per window: ~8 x 200 = 1,600 here (the span's edges are client
    // time), never more. Less when a starved machine stalls the client for part of a window (the
    // requests it then sends to catch up fall in fewer windows), so the floor only proves that the
    // run was an overload at all; the comparison below is the test.
    expect(admittedSl).toBeGreaterThan(Math.min(8 * limit, offered) * 0.5);
    expect(admittedSl).toBeLessThan(8 * limit * 1.05);
    console.log(`sliding-window ${admittedSw} vs sliding-log ${admittedSl} admitted of ${offered} offered in 8 windows (2x overload planned)`);
    expect(Math.abs(admittedSw - admittedSl) / admittedSl).toBeLessThanOrEqual(0.01);
  }, 30000);
});
