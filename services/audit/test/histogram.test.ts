import { BUCKET_COUNT, bucketIndex, emptyHistogram, estimateQuantile, LATENCY_BOUNDS_MS, mergeInto } from "../src/histogram";
import { denseBuckets, rollupByMinute } from "../src/usage";
import { entry } from "./fixtures";

describe("latency histogram", () => {
  it("puts a duration in the first bucket whose bound is >= it, overflow in the last", () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.5)).toBe(0);
    expect(bucketIndex(0.6)).toBe(1);
    expect(bucketIndex(100)).toBe(LATENCY_BOUNDS_MS.indexOf(100));
    expect(bucketIndex(1e9)).toBe(BUCKET_COUNT - 1);
  });

  it("interpolates inside the bucket holding the rank", () => {
    const h = emptyHistogram();
    h[bucketIndex(15)] = 10; // the (10, 15] bucket
    expect(estimateQuantile(h, 0.5)).toBeCloseTo(12.5);
    expect(estimateQuantile(h, 1)).toBeCloseTo(15);
  });

  it("answers 0 for an empty histogram and the last bound for overflow", () => {
    expect(estimateQuantile(emptyHistogram(), 0.95)).toBe(0);
    const h = emptyHistogram();
    h[BUCKET_COUNT - 1] = 3;
    expect(estimateQuantile(h, 0.5)).toBe(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]);
  });

  it("merges element-wise", () => {
    const a = emptyHistogram();
    a[0] = 1;
    const b = emptyHistogram();
    b[0] = 2;
    b[3] = 4;
    expect(mergeInto(a, b).slice(0, 4)).toEqual([3, 0, 0, 4]);
  });

  it("estimates percentiles of a skewed distribution within its bucket", () => {
    const h = emptyHistogram();
    for (let i = 0; i < 90; i++) h[bucketIndex(4)]!++; // 90 fast requests in (3, 5]
    for (let i = 0; i < 10; i++) h[bucketIndex(400)]!++; // 10 slow ones in (300, 500]
    const p50 = estimateQuantile(h, 0.5);
    const p95 = estimateQuantile(h, 0.95);
    expect(p50).toBeGreaterThan(3);
    expect(p50).toBeLessThanOrEqual(5);
    expect(p95).toBeGreaterThan(300);
    expect(p95).toBeLessThanOrEqual(500);
  });
});

describe("usage rollups", () => {
  const T0 = Date.UTC(2030, 0, 1);
  it("groups a batch by (org, key, minute), sorted, with error and 429 counts", () => {
    const rollups = rollupByMinute([
      entry({ keyId: "b", timestampMs: T0 + 61_000, status: 500 }),
      entry({ keyId: "a", timestampMs: T0 + 1_000, status: 429 }),
      entry({ keyId: "a", timestampMs: T0 + 59_999, status: 200 }),
    ]);
    expect(rollups.map((r) => [r.keyId, r.minuteMs - T0, r.requests, r.errors, r.rateLimited])).toEqual([
      ["a", 0, 2, 0, 1],
      ["b", 60_000, 1, 1, 0],
    ]);
    expect(rollups[0]!.latency.reduce((s, c) => s + c, 0)).toBe(2);
  });

  it("fills empty buckets densely and sums sparse rows of the same bucket", () => {
    const latency = emptyHistogram();
    latency[bucketIndex(10)] = 2;
    const out = denseBuckets(T0, T0 + 3 * 3_600_000, "hour", [
      { bucketMs: T0 + 3_600_000, requests: 2, errors: 1, rateLimited: 0, latency },
      { bucketMs: T0 + 3_600_000, requests: 1, errors: 0, rateLimited: 1, latency: emptyHistogram() },
    ]);
    expect(out.map((b) => [b.bucketMs - T0, b.requests, b.errors, b.rateLimited])).toEqual([
      [0, 0, 0, 0],
      [3_600_000, 3, 1, 1],
      [7_200_000, 0, 0, 0],
    ]);
    expect(out[1]!.p50Ms).toBeGreaterThan(7.5);
    expect(out[1]!.p50Ms).toBeLessThanOrEqual(10);
  });
});
