import { Algorithm, MemoryRateLimiter, type DescriptorInput } from "../src/index";
import { describeAlgorithms } from "./algorithms-behaviour";

let now = 1_700_000_000_000;
describeAlgorithms("MemoryRateLimiter", async () => ({
  limiter: new MemoryRateLimiter({ now: () => now }),
  advance: async (ms) => void (now += ms),
  tolerance: 0,
  exactClock: true,
}));

const d = (key: string, algorithm: Algorithm, limit: number, windowMs: number, cost = 1): DescriptorInput => ({ key, limit, windowMs, cost, algorithm });

describe("algorithm specifics (fake clock)", () => {
  let t = 0;
  const limiter = new MemoryRateLimiter({ now: () => t });
  const one = async (x: DescriptorInput) => (await limiter.check([[x]]))[0]![0]!;

  it("gcra: a burst of `limit`, then one unit every window / limit, with exact retry", async () => {
    t = 1_000_000;
    const g = (cost = 1) => d("{g}:a", Algorithm.GCRA, 4, 400, cost);
    for (let i = 0; i < 4; i++) expect((await one(g())).allowed).toBe(true);
    const denied = await one(g());
    expect(denied).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 100, resetAfterMs: 100 });
    t += 100;
    expect(await one(g())).toMatchObject({ allowed: true, remaining: 0 });
    expect((await one(g())).allowed).toBe(false);
    t += 400; // idle for a window: the whole burst is back
    expect(await one(g(4))).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("fixed-window: windows align to the epoch (calendar), retry is the window's end", async () => {
    t = 60_000 * 28_333_334 + 40_000; // 40 s into a UTC minute
    const f = () => d("{f}:a", Algorithm.FIXED_WINDOW, 2, 60_000);
    expect(await one(f())).toMatchObject({ allowed: true, remaining: 1, resetAfterMs: 20_000 });
    await one(f());
    expect(await one(f())).toMatchObject({ allowed: false, retryAfterMs: 20_000 });
    t += 20_000; // the next minute
    expect(await one(f())).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("sliding-window: weighs the previous window by the share still inside the sliding window", async () => {
    t = 1_700_000_000_000; // a window boundary for 1 s windows
    const sw = () => d("{s}:a", Algorithm.SLIDING_WINDOW, 10, 1000);
    for (let i = 0; i < 10; i++) expect((await one(sw())).allowed).toBe(true);
    t += 1500; // half-way through the next window: the estimate is 10 x 0.5 = 5
    for (let i = 0; i < 5; i++) expect((await one(sw())).allowed).toBe(true);
    const denied = await one(sw());
    // Room for one more once 10 x (1 - f) + 5 + 1 <= 10, i.e. f >= 0.6: 100 ms from now.
    expect(denied).toMatchObject({ allowed: false, retryAfterMs: 100 });
    t += 100;
    expect((await one(sw())).allowed).toBe(true);
  });

  it("sliding-window: within 1 % of the limit per window under a steady overload", async () => {
    const start = 1_700_000_000_000;
    const limit = 100;
    const w = 1000;
    for (const overload of [1.2, 2, 4]) {
      t = start;
      let admitted = 0;
      // Evenly spaced arrivals (plus a little jitter, so they do not line up with boundaries) for 50
      // windows; count what is admitted in windows 5-45, the steady state: ideally 40 x limit.
      for (let i = 0; t < start + 50 * w; i++) {
        t += w / (limit * overload) + (i % 7) * 0.01;
        const [c] = await limiter.check([[d(`{acc${overload}}:ctr`, Algorithm.SLIDING_WINDOW, limit, w)]]);
        if (c![0]!.allowed && t >= start + 5 * w && t < start + 45 * w) admitted++;
      }
      expect(Math.abs(admitted - 40 * limit) / (40 * limit)).toBeLessThanOrEqual(0.01);
    }
  });
});
