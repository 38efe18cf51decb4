import { BUCKET_COUNT, bucketIndex, emptyHistogram, estimateQuantile, mergeInto } from "./histogram";
import type { Granularity, LogEntry, UsageBucket } from "./store/types";

/** Bucket width of each granularity. Buckets are aligned to the Unix epoch, i.e. UTC. */
export const GRANULARITY_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Most buckets one usage query may return. */
export const MAX_USAGE_BUCKETS = 10_000;

/** True when a response with this status counts as an error (>= 400, except 429). */
export const isError = (status: number): boolean => status >= 400 && status !== 429;
/** True when a response with this status counts as rate limited (429). */
export const isRateLimited = (status: number): boolean => status === 429;

/** Usage of one (org, key, period), as stored in `audit.usage_minute` / `audit.usage_hour`. */
export interface MinuteRollup {
  orgId: string;
  keyId: string;
  /** Start of the period (minute or hour), Unix ms. */
  minuteMs: number;
  requests: number;
  errors: number;
  rateLimited: number;
  latency: number[];
}

/**
 * Aggregates a batch by (org, key, period) so the database gets one upsert row per group; the
 * period is a minute by default (`audit.usage_minute`) or an hour (`audit.usage_hour`).
 * Sorted by (org, key, period): concurrent batches then lock rollup rows in the same order and
 * cannot deadlock each other.
 */
export function rollupByMinute(records: readonly LogEntry[], periodMs = 60_000): MinuteRollup[] {
  const groups = new Map<string, MinuteRollup>();
  for (const r of records) {
    const minuteMs = Math.floor(r.timestampMs / periodMs) * periodMs;
    const id = `${r.orgId}\u0000${r.keyId}\u0000${minuteMs}`;
    let g = groups.get(id);
    if (!g) {
      g = { orgId: r.orgId, keyId: r.keyId, minuteMs, requests: 0, errors: 0, rateLimited: 0, latency: emptyHistogram() };
      groups.set(id, g);
    }
    g.requests++;
    if (isError(r.status)) g.errors++;
    if (isRateLimited(r.status)) g.rateLimited++;
    g.latency[bucketIndex(r.durationMs)]!++;
  }
  return [...groups.values()].sort(
    (a, b) => cmp(a.orgId, b.orgId) || cmp(a.keyId, b.keyId) || a.minuteMs - b.minuteMs,
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sums of one bucket before percentiles are estimated. */
export interface BucketSums {
  bucketMs: number;
  requests: number;
  errors: number;
  rateLimited: number;
  latency: readonly number[];
}

/**
 * Turns sparse per-bucket sums into the dense answer: one bucket per step from `fromMs` (inclusive)
 * to `toMs` (exclusive), zeros where nothing happened, p50/p95 from the merged histogram.
 */
export function denseBuckets(fromMs: number, toMs: number, granularity: Granularity, sums: readonly BucketSums[]): UsageBucket[] {
  const step = GRANULARITY_MS[granularity];
  const byStart = new Map<number, BucketSums>();
  for (const s of sums) {
    const prev = byStart.get(s.bucketMs);
    if (!prev) byStart.set(s.bucketMs, s);
    else
      byStart.set(s.bucketMs, {
        bucketMs: s.bucketMs,
        requests: prev.requests + s.requests,
        errors: prev.errors + s.errors,
        rateLimited: prev.rateLimited + s.rateLimited,
        latency: mergeInto([...prev.latency], s.latency),
      });
  }
  const out: UsageBucket[] = [];
  for (let t = fromMs; t < toMs; t += step) {
    const s = byStart.get(t);
    const latency = s?.latency ?? new Array<number>(BUCKET_COUNT).fill(0);
    out.push({
      bucketMs: t,
      requests: s?.requests ?? 0,
      errors: s?.errors ?? 0,
      rateLimited: s?.rateLimited ?? 0,
      p50Ms: round2(estimateQuantile(latency, 0.5)),
      p95Ms: round2(estimateQuantile(latency, 0.95)),
    });
  }
  return out;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
