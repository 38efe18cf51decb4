import { create } from "@bufbuild/protobuf";
import { ratelimit } from "@datahub/proto";
import { RateLimitGate } from "../src/ratelimit/gate";
import { OverLimitCache } from "../src/ratelimit/over-limit-cache";
import { anonymousPolicies, keyPolicies, type DescriptorInit } from "../src/ratelimit/policies";
import type { GroupResult } from "../src/ratelimit/batcher";

const decision = (allowed: boolean, limit: number, remaining: number, retryMs = 0) =>
  create(ratelimit.DecisionSchema, { allowed, limit: BigInt(limit), remaining: BigInt(remaining), resetAfterMs: BigInt(retryMs || 1000), retryAfterMs: BigInt(retryMs) });

function setup(answer: (ds: DescriptorInit[]) => GroupResult) {
  let now = 1000;
  const calls: DescriptorInit[][] = [];
  const counted: string[] = [];
  const gate = new RateLimitGate({
    batcher: { check: async (ds) => (calls.push(ds), answer(ds)) },
    defaultFailureMode: "open",
    instances: 2,
    cache: new OverLimitCache({ now: () => now }),
    onDecision: (d) => counted.push(d),
  });
  return { gate, calls, counted, advance: (ms: number) => void (now += ms) };
}

test("a denial is cached until its retry wait (minus 1 ms): no round trip, same 429, then asks again", async () => {
  let denied = true;
  const s = setup((ds) => ds.map((d) => (denied ? decision(false, Number(d.limit), 0, 300) : decision(true, Number(d.limit), 4))));
  const group = () => keyPolicies("k1", { limit: 5, windowSeconds: 1 }, "r", undefined, { limit: 9, windowSeconds: 60 });
  const first = await s.gate.check(group());
  expect(first.status).toBe(429);
  expect(first.headers!["retry-after"]).toBe("1");
  s.advance(200);
  const cached = await s.gate.check(group());
  expect(cached.status).toBe(429);
  expect(cached.headers!.ratelimit).toBe('"key";r=0;t=1');
  expect(s.calls).toHaveLength(1);
  expect(s.counted).toEqual(["denied_cached"]);
  s.advance(99); // 299 ms after asking: the entry has ended (300 - 1)
  denied = false;
  expect((await s.gate.check(group())).status).toBe(0);
  expect(s.calls).toHaveLength(2);
});

test("a cached denial applies to every group holding that descriptor, but not to another limit on the same key", async () => {
  const s = setup((ds) => ds.map((d) => (d.key!.endsWith(":key") ? decision(false, Number(d.limit), 0, 5000) : decision(true, Number(d.limit), 1))));
  await s.gate.check(keyPolicies("k2", { limit: 5, windowSeconds: 10 }, "a", undefined, { limit: 9, windowSeconds: 60 }));
  const other = await s.gate.check(keyPolicies("k2", { limit: 5, windowSeconds: 10 }, "b", { limit: 50, windowSeconds: 10 }, { limit: 9, windowSeconds: 60 }));
  expect(other.status).toBe(429);
  expect(other.headers!["ratelimit-policy"]).toBe('"key";q=5;w=10, "route";q=50;w=10');
  expect(s.calls).toHaveLength(1);
  // The key's policy changed (limit raised): the cached denial is for the old one.
  expect((await s.gate.check(keyPolicies("k2", { limit: 6, windowSeconds: 10 }, "a", undefined, { limit: 9, windowSeconds: 60 }))).status).toBe(429);
  expect(s.calls).toHaveLength(2);
});

describe("failure modes when the service cannot answer", () => {
  const down = () => setup(() => null);

  it("open (default): lets the request through without headers, counted failed_open", async () => {
    const s = down();
    expect(await s.gate.check(anonymousPolicies("1.2.3.4", { limit: 1, windowSeconds: 60 }))).toEqual({ status: 0, headers: undefined });
    expect(s.counted).toEqual(["failed_open"]);
  });

  it("closed: 503, counted failed_closed; a closed policy wins over open and local ones", async () => {
    const s = down();
    const g = keyPolicies("k3", { limit: 5, windowSeconds: 60, failureMode: "local" }, "r", { limit: 5, windowSeconds: 60, failureMode: "closed" }, { limit: 1, windowSeconds: 1 });
    expect((await s.gate.check(g)).status).toBe(503);
    expect(s.counted).toEqual(["failed_closed"]);
  });

  it("local: enforces limit / instances in memory, with headers of the local policy only", async () => {
    const s = down();
    const g = () => keyPolicies("k4", { limit: 6, windowSeconds: 60, failureMode: "local" }, "r", { limit: 1, windowSeconds: 60, failureMode: "open" }, { limit: 1, windowSeconds: 1 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await s.gate.check(g())).status);
    expect(statuses).toEqual([0, 0, 0, 429]); // 6 / 2 instances = 3
    const last = await s.gate.check(g());
    expect(last.headers!["ratelimit-policy"]).toBe('"key";q=3;w=60');
    expect(s.counted.every((c) => c === "failed_local")).toBe(true);
  });
});
