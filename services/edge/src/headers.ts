/**
 * Response headers the gateway adds: helmet's security headers (computed once, at start-up, by
 * running helmet itself against a recorder), CORS, and `Server-Timing`.
 */
import helmet from "helmet";

/** Header name → value, lowercase names. */
export type HeaderMap = Record<string, string>;

/**
 * The headers helmet sets with its defaults, captured once. `strict-transport-security` is kept
 * only when the edge serves TLS (HSTS over plain HTTP is meaningless and confuses local setups).
 */
export function securityHeaders(tls: boolean): HeaderMap {
  const out: HeaderMap = {};
  const recorder = {
    setHeader(name: string, value: string | number) {
      out[name.toLowerCase()] = String(value);
    },
    removeHeader() {},
  };
  helmet()({} as never, recorder as never, () => {});
  if (!tls) delete out["strict-transport-security"];
  return out;
}

/**
 * The subset added to proxied responses, and only where the upstream did not set the header
 * itself: content-policy headers (CSP, COOP, ...) belong to the upstream's application.
 */
export const PROXIED_SECURITY_HEADERS = ["x-content-type-options", "strict-transport-security"] as const;

/** Headers a browser may read from a cross-origin response. */
const EXPOSED = "X-Request-Id, RateLimit, RateLimit-Policy, Retry-After, Server-Timing, WWW-Authenticate";
const ALLOWED_REQUEST_HEADERS = "Authorization, X-API-Key, Content-Type, X-Request-Id, Idempotency-Key, traceparent, tracestate";
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/** CORS policy from `DATAHUB_CORS_ORIGINS` (a list of origins; `*` allows any). */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes("*");
    this.origins = new Set(origins);
  }

  /** True when responses to `origin` carry CORS headers. */
  allows(origin: string | undefined): origin is string {
    return origin !== undefined && (this.any || this.origins.has(origin));
  }

  /** Adds the headers of an actual (non-preflight) CORS response to `headers`. */
  addResponseHeaders(headers: Record<string, unknown>, origin: string): void {
    headers["access-control-allow-origin"] = origin;
    headers["access-control-expose-headers"] = EXPOSED;
    headers["vary"] = "Origin";
  }

  /** The headers of a preflight answer (204). */
  preflightHeaders(origin: string): HeaderMap {
    return {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": ALLOWED_REQUEST_HEADERS,
      "access-control-max-age": "600",
      vary: "Origin",
    };
  }
}

/** `gateway;dur=<ms>` with two decimals, from nanoseconds. */
export function serverTiming(gatewayNs: bigint): string {
  return "gateway;dur=" + (Number(gatewayNs) / 1e6).toFixed(2);
}
