import calculateSlot from "cluster-key-slot";
import { Algorithm, LIMITS, RateLimitInputError, storageKey, validateGroups, type DescriptorInput } from "../src/index";

const opts = { prefix: "datahub", maxLogLimit: 10_000 };
const d = (over: Partial<DescriptorInput> = {}): DescriptorInput => ({
  key: "{p}:k",
  limit: 10,
  windowMs: 1000,
  cost: 1,
  algorithm: Algorithm.UNSPECIFIED,
  ...over,
});
const fails = (groups: DescriptorInput[][], message: string) => {
  let err: unknown;
  try {
    validateGroups(groups, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RateLimitInputError);
  expect((err as Error).message).toBe(message);
};

describe("validateGroups", () => {
  it("applies defaults: cost 0 is 1, UNSPECIFIED is the sliding log; storage key carries the prefix", () => {
    const n = validateGroups([[d({ cost: 0 })]], opts)[0]![0]!;
    expect(n.cost).toBe(1);
    expect(n.algorithm).toBe(Algorithm.SLIDING_LOG);
    expect(n.storageKey).toBe("datahub:rl:{p}:k");
  });

  it("names the bad field of each descriptor", () => {
    fails([[d({ key: "" })]], "groups[0].descriptors[0].key: must not be empty");
    fails([[d({ key: "é".repeat(257) })]], "groups[0].descriptors[0].key: must be at most 512 bytes, got 514");
    fails([[d(), d({ limit: 0, key: "{p}:2" })]], "groups[0].descriptors[1].limit: must be a positive integer, got 0");
    fails([[d({ limit: 1.5 })]], "groups[0].descriptors[0].limit: must be a positive integer, got 1.5");
    fails([[d({ limit: 10_001 })]], "groups[0].descriptors[0].limit: must be at most 10000 for sliding-log (memory grows with the limit), got 10001");
    fails([[d({ windowMs: 0 })]], "groups[0].descriptors[0].window_ms: must be an integer from 1 to 604800000 (7 days), got 0");
    fails([[d({ windowMs: LIMITS.maxWindowMs + 1 })]], "groups[0].descriptors[0].window_ms: must be an integer from 1 to 604800000 (7 days), got 604800001");
    fails([[d({ cost: 11 })]], "groups[0].descriptors[0].cost: must not exceed limit (10), got 11");
    fails([[d({ limit: 2 ** 60 })]], `groups[0].descriptors[0].limit: must be a positive integer, got ${2 ** 60}`);
  });

  it("accepts the edges of every range", () => {
    expect(() => validateGroups([[d({ key: "x".repeat(512), limit: 10_000, windowMs: LIMITS.maxWindowMs, cost: 10_000 })]], opts)).not.toThrow();
  });

  it("accepts every algorithm, caps only the sliding log's limit, and applies the configured default", () => {
    for (const algorithm of [Algorithm.GCRA, Algorithm.SLIDING_WINDOW, Algorithm.FIXED_WINDOW]) {
      expect(validateGroups([[d({ algorithm, limit: 1_000_000 })]], opts)[0]![0]!.algorithm).toBe(algorithm);
    }
    fails([[d({ algorithm: Algorithm.SLIDING_LOG, limit: 10_001 })]], "groups[0].descriptors[0].limit: must be at most 10000 for sliding-log (memory grows with the limit), got 10001");
    expect(validateGroups([[d({ algorithm: Algorithm.UNSPECIFIED })]], opts)[0]![0]!.algorithm).toBe(Algorithm.SLIDING_LOG);
    expect(validateGroups([[d({ algorithm: Algorithm.UNSPECIFIED })]], { ...opts, defaultAlgorithm: Algorithm.GCRA })[0]![0]!.algorithm).toBe(Algorithm.GCRA);
  });

  it("rejects unknown algorithms", () => {
    fails([[d({ algorithm: 42 as Algorithm })]], "groups[0].descriptors[0].algorithm: unknown (42) is not an algorithm");
  });

  it("bounds group and batch sizes", () => {
    fails([[]], "groups[0].descriptors: at least one descriptor is required");
    const many = Array.from({ length: 17 }, (_, i) => d({ key: `{p}:${i}` }));
    fails([many], "groups[0].descriptors: at most 16 descriptors per request, got 17");
    expect(() => validateGroups([many.slice(0, 16)], opts)).not.toThrow();
    fails(Array.from({ length: 5001 }, () => [d()]), "requests: at most 5000 groups per batch, got 5001");
    expect(() => validateGroups(Array.from({ length: 5000 }, () => [d()]), opts)).not.toThrow();
  });

  it("rejects a key twice in one group (its log would be counted twice but checked once)", () => {
    fails([[d(), d()]], "groups[0].descriptors[1].key: appears twice in one request; give each limit its own key");
  });

  it("rejects groups whose keys map to different Redis Cluster slots", () => {
    expect(() => validateGroups([[d({ key: "{user1}:a" }), d({ key: "{user1}:b" })]], opts)).not.toThrow();
    const a = storageKey("datahub", "user1:a");
    const b = storageKey("datahub", "user2:b");
    expect(calculateSlot(a)).not.toBe(calculateSlot(b));
    fails(
      [[d({ key: "user1:a" }), d({ key: "user2:b" })]],
      `groups[0].descriptors[1].key: maps to Redis Cluster slot ${calculateSlot(b)} but descriptors[0].key to slot ${calculateSlot(a)}; every key of one request needs the same {hash tag}`,
    );
  });
});
