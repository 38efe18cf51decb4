/**
 * The fixed latency histogram behind usage percentiles. Every per-minute rollup stores one count
 * per bucket; hours and days are element-wise sums, so percentiles of any range can be estimated
 * without the raw rows. Changing the bounds needs a migration of `audit.usage_minute`.
 */

/** Upper bounds (inclusive, milliseconds) of the finite buckets; one more bucket holds the rest. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000,
];

/** Number of buckets in a histogram: the finite ones plus +Inf. */
export const BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

/** An empty histogram. */
export function emptyHistogram(): number[] {
  return new Array<number>(BUCKET_COUNT).fill(0);
}

/** Index of the bucket a duration falls in (first bound >= duration). */
export function bucketIndex(durationMs: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (durationMs <= LATENCY_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Adds `b` into `a` element-wise (missing entries count as 0) and returns `a`. */
export function mergeInto(a: number[], b: readonly number[]): number[] {
  for (let i = 0; i < BUCKET_COUNT; i++) a[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return a;
}

/**
 * Estimates quantile `q` (0..1) the way Prometheus' histogram_quantile does: find the bucket
 * holding rank q·total and interpolate linearly inside it. The +Inf bucket answers with the last
 * finite bound. An empty histogram gives 0.
 */
export function estimateQuantile(counts: readonly number[], q: number): number {
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && cumulative + c >= rank) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return lower + ((upper - lower) * (rank - cumulative)) / c;
    }
    cumulative += c;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
