/**
 * One behaviour suite for every RateLimiter: the memory and Redis limiters must give the same answers.
 * `advance(ms)` moves time forward (a fake clock for memory, a real wait for Redis); `tolerance` is
 * how many ms a real clock may have moved beyond that (0 for a fake clock).
 */
import { Algorithm, RateLimitInputError, type DescriptorInput, type RateLimiter } from "../src/index";

export interface BehaviourSetup {
  limiter: RateLimiter;
  advance(ms: number): Promise<void>;
  tolerance: number;
}

let n = 0;
/** A fresh key (hash-tagged per test) so tests never share state. */
const tag = () => `{t${++n}-${Math.random().toString(36).slice(2, 8)}}`;
const d = (key: string, limit: number, windowMs: number, cost = 1, algorithm = Algorithm.UNSPECIFIED): DescriptorInput => ({
  key,
  limit,
  windowMs,
  cost,
  algorithm,
});

/** `actual` lies in [expected - tolerance, expected]: real time only ever makes waits shorter. */
function expectNear(actual: number, expected: number, tolerance: number): void {
  expect(actual).toBeLessThanOrEqual(expected);
  expect(actual).toBeGreaterThanOrEqual(expected - tolerance);
}

export function describeLimiterBehaviour(name: string, setup: () => Promise<BehaviourSetup>, windowMs = 400): void {
  describe(`${name} behaviour`, () => {
    let s: BehaviourSetup;
    beforeAll(async () => {
      s = await setup();
    });
    const one = async (desc: DescriptorInput[]) => (await s.limiter.check([desc]))[0]!;

    it("admits up to the limit, counts remaining down, then denies", async () => {
      const k = `${tag()}:a`;
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push((await one([d(k, 3, windowMs)]))[0]!);
      expect(seen.map((x) => x.allowed)).toEqual([true, true, true, false]);
      expect(seen.map((x) => x.remaining)).toEqual([2, 1, 0, 0]);
      expect(seen.map((x) => x.limit)).toEqual([3, 3, 3, 3]);
      expect(seen[0]!.resetAfterMs).toBe(windowMs);
      expect(seen[0]!.retryAfterMs).toBe(0);
      expect(seen[3]!.retryAfterMs).toBeGreaterThan(0);
      expectNear(seen[3]!.resetAfterMs, windowMs, s.tolerance + 1);
    });

    it("consumes `cost` units and reads cost 0 as 1", async () => {
      const k = `${tag()}:c`;
      expect((await one([d(k, 5, windowMs, 3)]))[0]).toMatchObject({ allowed: true, remaining: 2 });
      expect((await one([d(k, 5, windowMs, 3)]))[0]).toMatchObject({ allowed: false, remaining: 2 });
      expect((await one([d(k, 5, windowMs, 0)]))[0]).toMatchObject({ allowed: true, remaining: 1 });
      expect((await one([d(k, 5, windowMs, 2)]))[0]).toMatchObject({ allowed: false, remaining: 1 });
      expect((await one([d(k, 5, windowMs, 1)]))[0]).toMatchObject({ allowed: true, remaining: 0 });
    });

    it("treats a group atomically: one descriptor over its limit means nobody consumes", async () => {
      const t = tag();
      const tight = d(`${t}:tight`, 1, windowMs);
      const loose = d(`${t}:loose`, 10, windowMs);
      const first = await one([tight, loose]);
      expect(first.map((x) => x.allowed)).toEqual([true, true]);
      expect(first[1]!.remaining).toBe(9);
      const refused = await one([tight, loose]);
      // Each decision tells its own truth; the loose one would have admitted but consumed nothing.
      expect(refused.map((x) => x.allowed)).toEqual([false, true]);
      expect(refused[1]!.remaining).toBe(9);
      expect(refused[1]!.retryAfterMs).toBe(0);
      expect((await one([loose]))[0]!.remaining).toBe(8);
    });

    it("gives the exact wait until enough units expire to fit the cost", async () => {
      const k = `${tag()}:r`;
      await one([d(k, 3, windowMs)]);
      await s.advance(100);
      await one([d(k, 3, windowMs, 2)]);
      const one1 = (await one([d(k, 3, windowMs)]))[0]!;
      expect(one1.allowed).toBe(false);
      expectNear(one1.retryAfterMs, windowMs - 100, s.tolerance + 1); // the oldest unit frees one slot
      const two = (await one([d(k, 3, windowMs, 2)]))[0]!;
      expectNear(two.retryAfterMs, windowMs, s.tolerance + 1); // needs the two units added at +100 ms
      expectNear(two.resetAfterMs, windowMs - 100, s.tolerance + 1); // more quota once the oldest unit leaves
    });

    it("slides: units expire one window after they were admitted", async () => {
      const k = `${tag()}:s`;
      await one([d(k, 2, windowMs)]);
      await s.advance(windowMs / 2);
      const second = (await one([d(k, 2, windowMs)]))[0]!;
      expect(second).toMatchObject({ allowed: true, remaining: 0 });
      expectNear(second.resetAfterMs, windowMs / 2, s.tolerance + 1); // draft-11 `t`: until the oldest unit leaves
      expect((await one([d(k, 2, windowMs)]))[0]!.allowed).toBe(false);
      await s.advance(windowMs / 2 + 5);
      const after = (await one([d(k, 2, windowMs)]))[0]!;
      expect(after).toMatchObject({ allowed: true, remaining: 0 });
      await s.advance(windowMs + 5);
      expect((await one([d(k, 2, windowMs)]))[0]).toMatchObject({ allowed: true, remaining: 1 });
    });

    it("runs the groups of one call independently and in order", async () => {
      const t = tag();
      const out = await s.limiter.check([[d(`${t}:x`, 1, windowMs)], [d(`${t}:x`, 1, windowMs)], [d(`${t}:y`, 1, windowMs)]]);
      expect(out.map((g) => g[0]!.allowed)).toEqual([true, false, true]);
    });

    it("rejects a call with any invalid group before consuming anything", async () => {
      const t = tag();
      const ok = [d(`${t}:ok`, 1, windowMs)];
      const bad = [d(`${t}:bad`, 0, windowMs)];
      await expect(s.limiter.check([ok, bad])).rejects.toThrow(RateLimitInputError);
      await expect(s.limiter.check([ok, bad])).rejects.toThrow("groups[1].descriptors[0].limit");
      expect((await one(ok))[0]!.allowed).toBe(true);
    });

    it("refuses an unknown algorithm value, without falling back", async () => {
      const k = `${tag()}:g`;
      await expect(one([d(k, 5, windowMs, 1, 99 as Algorithm)])).rejects.toThrow("unknown (99) is not an algorithm");
      await expect(one([d(k, 5, windowMs, 1, Algorithm.SLIDING_LOG)])).resolves.toEqual([expect.objectContaining({ allowed: true })]);
    });
  });
}
