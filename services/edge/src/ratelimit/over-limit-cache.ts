/**
 * The edge's cache of descriptors known to be over their limit (envoy ratelimit's "local cache"):
 * once the service denies a descriptor with `retry_after_ms`, every request that includes that
 * descriptor is answered 429 locally until the wait has passed, without a round trip.
 *
 * Why this cannot change a decision: with the edge's cost of 1, a denied descriptor stays denied
 * until its retry wait passes (other requests can only add to its count meanwhile). The entry ends
 * at `askedAt + retry_after_ms - 1`: `askedAt` is taken before the batch is sent (so before Redis
 * read its clock) and retry_after_ms is rounded up to the ms, so the entry always ends before the
 * service would admit again. Times come from the monotonic clock: a skewed or stepped wall clock
 * (Date.now) has no effect.
 */

/** What the cache remembers of a denied descriptor. */
export interface OverLimitEntry {
  /** Monotonic ms (performance.now) until which the descriptor is denied. */
  until: number;
  limit: bigint;
  windowMs: bigint;
  algorithm: number;
}

/** Options for {@link OverLimitCache}. */
export interface OverLimitCacheOptions {
  /** Most entries held; further denials are simply not cached (default 100,000). */
  maxEntries?: number;
  /** Monotonic clock in ms; tests inject one. */
  now?: () => number;
}

/** A bounded map from descriptor key to the time it is denied until. */
export class OverLimitCache {
  private readonly entries = new Map<string, OverLimitEntry>();
  private readonly maxEntries: number;
  readonly now: () => number;
  private nextSweep = 0;

  constructor(opts: OverLimitCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The live entry for a descriptor, or undefined. An entry for another limit/window/algorithm
   * (the policy changed since) does not count.
   */
  get(key: string, limit: bigint, windowMs: bigint, algorithm: number, now = this.now()): OverLimitEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.limit === limit && e.windowMs === windowMs && e.algorithm === algorithm ? e : undefined;
  }

  /** Remembers a denial the service answered for a check asked at `askedAt` (monotonic ms). */
  add(key: string, limit: bigint, windowMs: bigint, algorithm: number, askedAt: number, retryAfterMs: number): void {
    const until = askedAt + retryAfterMs - 1;
    const now = this.now();
    if (until <= now) return;
    if (now >= this.nextSweep) this.sweep(now);
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) return;
    this.entries.set(key, { until, limit, windowMs, algorithm });
  }

  private sweep(now: number): void {
    this.nextSweep = now + 1000;
    for (const [k, e] of this.entries) if (e.until <= now) this.entries.delete(k);
  }
}
