/**
 * Behaviour of every algorithm, run against both limiters (memory with a fake clock, Redis with real
 * time). `advance(ms)` moves time; `tolerance` is how many ms a real clock may drift beyond it.
 */
import { Algorithm, type DescriptorInput, type RateLimiter } from "../src/index";

export interface AlgorithmSetup {
  limiter: RateLimiter;
  advance(ms: number): Promise<void>;
  tolerance: number;
  /** The fake clock can probe "1 ms before the retry"; a real one cannot. */
  exactClock: boolean;
}

let n = 0;
const tag = () => `{a${++n}-${Math.random().toString(36).slice(2, 8)}}`;
const d = (key: string, algorithm: Algorithm, limit: number, windowMs: number, cost = 1): DescriptorInput => ({ key, limit, windowMs, cost, algorithm });

/** Exact algorithms (every admitted unit counted exactly): the retry wait is exact for these. */
export const EXACT = [Algorithm.SLIDING_LOG, Algorithm.GCRA, Algorithm.FIXED_WINDOW] as const;
export const ALL = [...EXACT, Algorithm.SLIDING_WINDOW] as const;
const NAME: Record<number, string> = { 1: "sliding-log", 2: "gcra", 3: "sliding-window", 4: "fixed-window" };

export function describeAlgorithms(name: string, setup: () => Promise<AlgorithmSetup>): void {
  describe(`${name}: every algorithm`, () => {
    let s: AlgorithmSetup;
    beforeAll(async () => {
      s = await setup();
    });
    const one = async (desc: DescriptorInput[]) => (await s.limiter.check([desc]))[0]!;

    // An hour-long window: a real clock never crosses a fixed-window boundary during the test.
    const LONG = 3_600_000;

    for (const algo of ALL) {
      it(`${NAME[algo]}: admits exactly the limit back to back, counts down, then denies`, async () => {
        const k = `${tag()}:x`;
        const seen = [];
        for (let i = 0; i < 6; i++) seen.push((await one([d(k, algo, 5, LONG)]))[0]!);
        expect(seen.map((x) => x.allowed)).toEqual([true, true, true, true, true, false]);
        expect(seen.map((x) => x.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
        expect(seen[5]!.retryAfterMs).toBeGreaterThan(0);
        // The counter may need the next window too: its count then decays through that window.
        expect(seen[5]!.retryAfterMs).toBeLessThanOrEqual(algo === Algorithm.SLIDING_WINDOW ? 2 * LONG : LONG);
        expect(seen[0]!.resetAfterMs).toBeGreaterThan(0);
      });

      it(`${NAME[algo]}: consumes cost units`, async () => {
        const k = `${tag()}:c`;
        expect((await one([d(k, algo, 5, LONG, 3)]))[0]).toMatchObject({ allowed: true, remaining: 2 });
        expect((await one([d(k, algo, 5, LONG, 3)]))[0]).toMatchObject({ allowed: false, remaining: 2 });
        expect((await one([d(k, algo, 5, LONG, 2)]))[0]).toMatchObject({ allowed: true, remaining: 0 });
      });
    }

    for (const algo of EXACT) {
      it(`${NAME[algo]}: a denied call is admitted once its retry wait has passed (and not a ms before)`, async () => {
        const k = `${tag()}:r`;
        const w = 300;
        for (let i = 0; i < 3; i++) await one([d(k, algo, 3, w)]);
        let denied = (await one([d(k, algo, 3, w)]))[0]!;
        // A real clock may have crossed a fixed-window boundary between the calls: then ask again.
        if (denied.allowed) for (let i = 0; i < 3 && denied.allowed; i++) denied = (await one([d(k, algo, 3, w)]))[0]!;
        expect(denied.allowed).toBe(false);
        expect(denied.retryAfterMs).toBeGreaterThan(0);
        expect(denied.retryAfterMs).toBeLessThanOrEqual(w);
        if (s.exactClock) {
          await s.advance(denied.retryAfterMs - 1);
          expect((await one([d(k, algo, 3, w)]))[0]!.allowed).toBe(false);
          await s.advance(1);
        } else await s.advance(denied.retryAfterMs);
        expect((await one([d(k, algo, 3, w)]))[0]!.allowed).toBe(true);
      });
    }

    it("mixes algorithms in one atomic group: a denial consumes nothing of the others", async () => {
      const t = tag();
      const group = [d(`${t}:tight`, Algorithm.SLIDING_LOG, 1, LONG), ...ALL.map((a) => d(`${t}:${a}`, a, 10, LONG))];
      expect((await one(group)).every((x) => x.allowed)).toBe(true);
      const refused = await one(group);
      expect(refused.map((x) => x.allowed)).toEqual([false, true, true, true, true]);
      expect(refused.slice(1).map((x) => x.remaining)).toEqual([9, 9, 9, 9]);
      for (const a of ALL) expect((await one([d(`${t}:${a}`, a, 10, LONG)]))[0]!.remaining).toBe(8);
    });
  });
}
