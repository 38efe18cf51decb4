/**
 * Rate-limit policies and headers (draft-ietf-httpapi-ratelimit-headers-11): which descriptors a
 * request gets, their hash tags and algorithms, and the header values.
 */
import { create } from "@bufbuild/protobuf";
import { ratelimit } from "@datahub/proto";
import { rateLimitHeaders } from "../src/ratelimit/headers";
import { algorithmOf, anonymousPolicies, keyPolicies } from "../src/ratelimit/policies";

const decision = (o: { allowed?: boolean; limit: number; remaining: number; resetAfterMs?: number; retryAfterMs?: number }) =>
  create(ratelimit.DecisionSchema, {
    allowed: o.allowed ?? true,
    limit: BigInt(o.limit),
    remaining: BigInt(o.remaining),
    resetAfterMs: BigInt(o.resetAfterMs ?? 0),
    retryAfterMs: BigInt(o.retryAfterMs ?? 0),
  });

const DEFAULTS = { limit: 1000, windowSeconds: 60 };

test("a key without its own limit on a route without one gets the default policy, hash-tagged by key", () => {
  const g = keyPolicies("key-1", undefined, "orders", undefined, DEFAULTS);
  expect(g.names).toEqual(["default"]);
  expect(g.descriptors).toEqual([{ key: "{k:key-1}:default", limit: 1000n, windowMs: 60_000n, cost: 1n, algorithm: ratelimit.Algorithm.UNSPECIFIED }]);
});

test("the key's own and the route's limits both apply (and replace the default)", () => {
  const g = keyPolicies("key-1", { limit: 5, windowSeconds: 1, algorithm: "gcra" }, "orders", { limit: 100, windowSeconds: 60, algorithm: "sliding-log" }, DEFAULTS);
  expect(g.names).toEqual(["key", "route"]);
  expect(g.descriptors.map((x) => x.key)).toEqual(["{k:key-1}:key", "{k:key-1}:route:orders"]);
  expect(g.descriptors.map((x) => x.algorithm)).toEqual([ratelimit.Algorithm.GCRA, ratelimit.Algorithm.SLIDING_LOG]);
});

test("anonymous requests are limited per client IP; a public route's limit is per IP too", () => {
  const g = anonymousPolicies("10.0.0.7", { limit: 60, windowSeconds: 60 }, "status", { limit: 5, windowSeconds: 10 });
  expect(g.names).toEqual(["anonymous", "route"]);
  expect(g.descriptors.map((x) => x.key)).toEqual(["{ip:10.0.0.7}:anon", "{ip:10.0.0.7}:route:status"]);
});

test("algorithm names map to the enum; empty or unknown is UNSPECIFIED", () => {
  expect(algorithmOf("sliding-log")).toBe(ratelimit.Algorithm.SLIDING_LOG);
  expect(algorithmOf("gcra")).toBe(ratelimit.Algorithm.GCRA);
  expect(algorithmOf("sliding-window")).toBe(ratelimit.Algorithm.SLIDING_WINDOW);
  expect(algorithmOf("fixed-window")).toBe(ratelimit.Algorithm.FIXED_WINDOW);
  expect(algorithmOf("")).toBe(ratelimit.Algorithm.UNSPECIFIED);
  expect(algorithmOf(undefined)).toBe(ratelimit.Algorithm.UNSPECIFIED);
});

test("one policy: RateLimit-Policy and RateLimit in the draft's syntax; no Retry-After when allowed", () => {
  const g = keyPolicies("k", undefined, "r", undefined, { limit: 100, windowSeconds: 60 });
  expect(rateLimitHeaders(g, [decision({ limit: 100, remaining: 42, resetAfterMs: 36_100 })], false)).toEqual({
    "ratelimit-policy": '"default";q=100;w=60',
    ratelimit: '"default";r=42;t=37',
  });
});

test("several policies: all are listed, RateLimit names the one closest to its limit", () => {
  const g = keyPolicies("k", { limit: 10, windowSeconds: 1 }, "r", { limit: 1000, windowSeconds: 60 }, DEFAULTS);
  const h = rateLimitHeaders(g, [decision({ limit: 10, remaining: 8, resetAfterMs: 500 }), decision({ limit: 1000, remaining: 20, resetAfterMs: 30_000 })], false);
  expect(h["ratelimit-policy"]).toBe('"key";q=10;w=1, "route";q=1000;w=60');
  expect(h.ratelimit).toBe('"route";r=20;t=30');
});

test("a denial names the denied policy and adds Retry-After (ceil of seconds, at least 1)", () => {
  const g = keyPolicies("k", { limit: 10, windowSeconds: 1 }, "r", { limit: 50, windowSeconds: 60 }, DEFAULTS);
  const h = rateLimitHeaders(g, [decision({ limit: 10, remaining: 3 }), decision({ allowed: false, limit: 50, remaining: 0, resetAfterMs: 12_000, retryAfterMs: 11_001 })], true);
  expect(h.ratelimit).toBe('"route";r=0;t=12');
  expect(h["retry-after"]).toBe("12");
  const tiny = rateLimitHeaders(g, [decision({ allowed: false, limit: 10, remaining: 0, retryAfterMs: 5 }), decision({ limit: 50, remaining: 1 })], true);
  expect(tiny["retry-after"]).toBe("1");
});
