import { MemoryRateLimiter } from "../src/index";
import { describeLimiterBehaviour } from "./behaviour";

/** A fake millisecond clock. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describeLimiterBehaviour("MemoryRateLimiter", async () => {
  const clock = fakeClock();
  return { limiter: new MemoryRateLimiter({ now: clock.now }), advance: async (ms) => clock.advance(ms), tolerance: 0 };
});

describe("MemoryRateLimiter", () => {
  const d = (key: string, limit: number, windowMs = 1000, cost = 1) => ({ key, limit, windowMs, cost, algorithm: 0 });

  it("gives exact retry and reset times at microsecond precision", async () => {
    const clock = fakeClock();
    const rl = new MemoryRateLimiter({ now: clock.now });
    await rl.check([[d("k", 2)]]);
    clock.advance(5.25);
    await rl.check([[d("k", 2)]]);
    clock.advance(10);
    const x = (await rl.check([[d("k", 2)]]))[0]![0]!;
    // oldest admitted at 0, now 15.25: it expires in 984.75 ms, rounded up so waiting that long works
    expect(x.retryAfterMs).toBe(985);
    expect(x.resetAfterMs).toBe(985); // more quota when that oldest unit leaves
    // cost 2 needs the unit admitted at 5.25 gone too: 1005.25 - 15.25
    expect((await rl.check([[d("k", 2, 1000, 2)]]))[0]![0]!.retryAfterMs).toBe(990);
  });

  it("reports remaining 0, not a negative number, when the limit was lowered below the log", async () => {
    const clock = fakeClock();
    const rl = new MemoryRateLimiter({ now: clock.now });
    await rl.check([[d("k", 5, 1000, 4)]]);
    clock.advance(100);
    const x = (await rl.check([[d("k", 2)]]))[0]![0];
    expect(x).toEqual({ allowed: false, limit: 2, remaining: 0, resetAfterMs: 900, retryAfterMs: 900 });
  });

  it("forgets keys whose window has passed", async () => {
    const clock = fakeClock();
    const rl = new MemoryRateLimiter({ now: clock.now, sweepEveryMs: 50 });
    await rl.check([[d("{a}:1", 5, 100)], [d("{b}:1", 5, 100)]]);
    expect(rl.size).toBe(2);
    clock.advance(101);
    await rl.check([[d("{c}:1", 5, 100)]]);
    expect(rl.size).toBe(1);
  });

  it("applies the maxLogLimit it was given", async () => {
    const rl = new MemoryRateLimiter({ maxLogLimit: 10 });
    await expect(rl.check([[d("k", 11)]])).rejects.toThrow("descriptors[0].limit: must be at most 10 for sliding-log");
  });
});
