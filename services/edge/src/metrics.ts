/**
 * The edge's Prometheus metrics (docs/reference/metrics.md). Label values have bounded cardinality: the route
 * NAME (never the path), a normalised method, and the status as a string.
 */
import { gauge, LATENCY_BUCKETS, seriesCounter, seriesHistogram, type Registry, type SeriesCounter, type SeriesHistogram } from "@datahub/runtime";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);

/** `GET` stays `GET`; anything outside the standard methods becomes `OTHER` (bounded cardinality). */
export function normaliseMethod(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : "OTHER";
}

/** Route label used when no route matched (parentheses cannot appear in a route name). */
export const UNMATCHED_ROUTE = "(unmatched)";

/**
 * Metrics the data plane records per request: series metrics (runtime series-metrics.ts), whose
 * label sets the hot path resolves once instead of prom-client hashing them on every update.
 */
export interface EdgeMetrics {
  requests: SeriesCounter<"route" | "method" | "status">;
  duration: SeriesHistogram<"route" | "method">;
  overhead: SeriesHistogram<never>;
  upstream: SeriesHistogram<"route">;
  authCache: SeriesCounter<"result">;
  ratelimitDecisions: SeriesCounter<"decision">;
}

/** Registers (or reuses) the edge metrics in `registry`. */
export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  return {
    requests: seriesCounter(registry, {
      name: "datahub_http_requests_total",
      help: "HTTP requests answered by the edge, by route name, method and status.",
      labelNames: ["route", "method", "status"] as const,
    }),
    duration: seriesHistogram(registry, {
      name: "datahub_http_request_duration_seconds",
      help: "Total time from request arrival to the end of the response, in seconds.",
      labelNames: ["route", "method"] as const,
      buckets: LATENCY_BUCKETS,
    }),
    overhead: seriesHistogram<never>(registry, {
      name: "datahub_gateway_overhead_seconds",
      help: "Time the gateway itself spent on a request (total minus upstream wait), in seconds.",
      buckets: LATENCY_BUCKETS,
    }),
    upstream: seriesHistogram(registry, {
      name: "datahub_upstream_duration_seconds",
      help: "Time from sending a request upstream to receiving its response headers, in seconds.",
      labelNames: ["route"] as const,
      buckets: LATENCY_BUCKETS,
    }),
    authCache: seriesCounter(registry, {
      name: "datahub_auth_cache_requests_total",
      help: "Key verifications at the edge by cache result: hit, miss (asked auth), stale (served during an auth outage), negative (cached rejection).",
      labelNames: ["result"] as const,
    }),
    // The ratelimit service registers the same metric in all-mode; `seriesCounter()` shares it.
    ratelimitDecisions: seriesCounter(registry, {
      name: "datahub_ratelimit_decisions_total",
      help: "Rate-limit decisions by outcome.",
      labelNames: ["decision"] as const,
    }),
  };
}

/**
 * Gauges read on scrape: the key cache's size (its hit ratio is
 * `rate(datahub_auth_cache_requests_total{result="hit"}[5m]) / rate(datahub_auth_cache_requests_total[5m])`)
 * and the audit buffer's capacity (the fill ratio alerts use is buffer_records / capacity).
 */
export function registerEdgeGauges(registry: Registry, opts: { cacheEntries: () => number; auditBufferCapacity: number }): void {
  gauge(registry, {
    name: "datahub_auth_cache_entries",
    help: "Key verifications cached at the edge (positive and negative).",
    collect() {
      this.set(opts.cacheEntries());
    },
  });
  gauge(registry, {
    name: "datahub_audit_buffer_capacity_records",
    help: "Request-log records the edge buffers at most before it drops the oldest (DATAHUB_AUDIT_BUFFER_SIZE).",
    collect() {
      this.set(opts.auditBufferCapacity);
    },
  });
}
