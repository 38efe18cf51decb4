import { Health } from "../src/health";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Health.watch", () => {
  it("emits NOT_SERVING when a check starts failing and SERVING when it recovers", async () => {
    const health = new Health();
    let up = true;
    const seen: boolean[] = [];
    health.addCheck("redis", () => up);
    health.onChange((s) => seen.push(s));
    health.markStarted();
    health.watch(10);
    await tick(40);
    up = false;
    await tick(40);
    up = true;
    await tick(40);
    health.stopWatching();
    expect(seen).toEqual([true, false, true]);
  });

  it("stops watching once draining: no transition back to serving", async () => {
    const health = new Health();
    const seen: boolean[] = [];
    health.addCheck("pg", () => true);
    health.onChange((s) => seen.push(s));
    health.markStarted();
    health.watch(10);
    health.markDraining();
    await tick(40);
    expect(seen).toEqual([true, false]);
  });
});
