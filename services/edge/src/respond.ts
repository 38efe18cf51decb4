/**
 * Responses the gateway writes itself (errors, health, preflight): RFC 9457 problem bodies with
 * `X-Request-Id`, `Server-Timing`, helmet's security headers, CORS and rate-limit headers.
 */
import type { CorsPolicy, HeaderMap } from "./headers";
import { serverTiming } from "./headers";
import { problem } from "./problem";
import type { EdgeResponse } from "./exchange";

/** Writes gateway-generated responses with the common headers. */
export class Responder {
  constructor(
    private readonly security: HeaderMap,
    private readonly cors: CorsPolicy,
  ) {}

  /** The common headers of a gateway response, as a fresh object the caller may extend. */
  baseHeaders(res: EdgeResponse): Record<string, string> {
    const ctx = res.ctx;
    const headers: Record<string, string> = { ...this.security };
    headers["x-request-id"] = ctx.requestId;
    headers["server-timing"] = serverTiming(process.hrtime.bigint() - ctx.startedAt);
    const origin = res.req.headers.origin;
    if (this.cors.allows(origin)) this.cors.addResponseHeaders(headers, origin);
    const rl = res.rateLimit;
    if (rl !== undefined) {
      headers["ratelimit-policy"] = rl["ratelimit-policy"];
      headers["ratelimit"] = rl.ratelimit;
      if (rl["retry-after"] !== undefined) headers["retry-after"] = rl["retry-after"];
    }
    return headers;
  }

  /**
   * Answers with a problem document. `slug` names the kind and is recorded as the request's
   * `error`; `detail` must never contain a key or header value.
   */
  problem(res: EdgeResponse, status: number, slug: string, detail: string, extra?: Record<string, string>): void {
    const ctx = res.ctx;
    ctx.error = slug.replaceAll("-", "_");
    if (res.headersSent) {
      // The upstream already started answering: all we can do is cut the connection.
      res.destroy();
      return;
    }
    const body = JSON.stringify(problem(status, slug, detail, ctx.requestId));
    const headers = this.baseHeaders(res);
    if (extra !== undefined) Object.assign(headers, extra);
    headers["content-type"] = "application/problem+json";
    headers["content-length"] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(body);
  }

  /** Answers with a small JSON document (health endpoints). */
  json(res: EdgeResponse, status: number, body: string): void {
    const headers = this.baseHeaders(res);
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(body);
  }

  /** Answers a CORS preflight (204). */
  preflight(res: EdgeResponse, origin: string | undefined): void {
    const headers = this.baseHeaders(res);
    if (this.cors.allows(origin)) Object.assign(headers, this.cors.preflightHeaders(origin));
    headers["content-length"] = "0";
    res.writeHead(204, headers);
    res.end();
  }
}
