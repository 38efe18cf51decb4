import { Counter, counter, seriesCounter, type Registry, type SeriesCounter } from "@datahub/runtime";

/** The service's Prometheus metrics (docs/reference/metrics.md). */
export interface RateLimitMetrics {
  /** Per group: `allowed` (quota consumed) or `denied`. The edge adds `failed_open` to the same metric. */
  decisions: SeriesCounter<"decision">;
  /** Failed or timed-out calls to Redis. */
  redisErrors: Counter<string>;
}

/** Registers (or reuses, in all-mode where the edge may have registered first) the metrics. */
export function rateLimitMetrics(registry: Registry): RateLimitMetrics {
  // Once per group: a series counter (the edge shares it in all-mode when they run on one thread).
  const decisions = seriesCounter(registry, {
    name: "datahub_ratelimit_decisions_total",
    help: "Rate-limit decisions per checked group: allowed, denied (and failed_open at the edge).",
    labelNames: ["decision"] as const,
  });
  const redisErrors = counter(registry, {
    name: "datahub_ratelimit_redis_errors_total",
    help: "Rate-limit calls to Redis that failed or timed out.",
  });
  return { decisions, redisErrors };
}
