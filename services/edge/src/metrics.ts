/**
 * The edge's Prometheus metrics (contract §8). Label values have bounded cardinality: the route
 * NAME (never the path), a normalised method, and the status as a string.
 */
import { Counter, Gauge, Histogram, LATENCY_BUCKETS, metric, type Registry } from "@datahub/runtime";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);

/** `GET` stays `GET`; anything outside the standard methods becomes `OTHER` (bounded cardinality). */
export function normaliseMethod(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : "OTHER";
}

/** Route label used when no route matched (parentheses cannot appear in a route name). */
export const UNMATCHED_ROUTE = "(unmatched)";

/** Metrics the data plane records per request. */
export interface EdgeMetrics {
  requests: Counter<"route" | "method" | "status">;
  duration: Histogram<"route" | "method">;
  overhead: Histogram<string>;
  upstream: Histogram<"route">;
  authCache: Counter<"result">;
  ratelimitDecisions: Counter<"decision">;
}

/** Registers (or reuses) the edge metrics in `registry`. */
export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  return {
    requests: metric(registry, "datahub_http_requests_total", () => new Counter({
      name: "datahub_http_requests_total",
      help: "HTTP requests answered by the edge, by route name, method and status.",
      labelNames: ["route", "method", "status"] as const,
      registers: [registry],
    })),
    duration: metric(registry, "datahub_http_request_duration_seconds", () => new Histogram({
      name: "datahub_http_request_duration_seconds",
      help: "Total time from request arrival to the end of the response, in seconds.",
      labelNames: ["route", "method"] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    })),
    overhead: metric(registry, "datahub_gateway_overhead_seconds", () => new Histogram({
      name: "datahub_gateway_overhead_seconds",
      help: "Time the gateway itself spent on a request (total minus upstream wait), in seconds.",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    })),
    upstream: metric(registry, "datahub_upstream_duration_seconds", () => new Histogram({
      name: "datahub_upstream_duration_seconds",
      help: "Time from sending a request upstream to receiving its response headers, in seconds.",
      labelNames: ["route"] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    })),
    authCache: metric(registry, "datahub_auth_cache_requests_total", () => new Counter({
      name: "datahub_auth_cache_requests_total",
      help: "Key verifications at the edge by cache result: hit, miss (asked auth), stale (served during an auth outage), negative (cached rejection).",
      labelNames: ["result"] as const,
      registers: [registry],
    })),
    // The ratelimit service registers the same metric in all-mode; `metric()` shares it.
    ratelimitDecisions: metric(registry, "datahub_ratelimit_decisions_total", () => new Counter({
      name: "datahub_ratelimit_decisions_total",
      help: "Rate-limit decisions by outcome.",
      labelNames: ["decision"] as const,
      registers: [registry],
    })),
  };
}

/**
 * Gauges read on scrape: the key cache's size (its hit ratio is
 * `rate(datahub_auth_cache_requests_total{result="hit"}[5m]) / rate(datahub_auth_cache_requests_total[5m])`)
 * and the audit buffer's capacity (the fill ratio alerts use is buffer_records / capacity).
 */
export function registerEdgeGauges(registry: Registry, opts: { cacheEntries: () => number; auditBufferCapacity: number }): void {
  metric(registry, "datahub_auth_cache_entries", () => new Gauge({
    name: "datahub_auth_cache_entries",
    help: "Key verifications cached at the edge (positive and negative).",
    registers: [registry],
    collect() {
      this.set(opts.cacheEntries());
    },
  }));
  metric(registry, "datahub_audit_buffer_capacity_records", () => new Gauge({
    name: "datahub_audit_buffer_capacity_records",
    help: "Request-log records the edge buffers at most before it drops the oldest (DATAHUB_AUDIT_BUFFER_SIZE).",
    registers: [registry],
    collect() {
      this.set(opts.auditBufferCapacity);
    },
  }));
}
