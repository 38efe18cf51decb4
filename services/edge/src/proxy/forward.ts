/**
 * Forwards a request to its route's upstream over a keep-alive undici `Pool` per origin, with
 * request and response bodies streamed (never parsed). The response is written by undici's
 * `stream()` straight into the client's ServerResponse, with no intermediate Readable.
 *
 * The path sent is the canonical path the route matched (proxy/canonical-path.ts), so the upstream
 * reads exactly what was authorised. Added upstream: `X-Request-Id`, `X-DataHub-Key-Id`,
 * `X-DataHub-Org-Id`, `traceparent`, `X-Forwarded-For` (the one resolved client address,
 * client-ip.ts), `X-Forwarded-Proto` (the edge's scheme, or a trusted proxy's report of the
 * client's), `X-Forwarded-Host`. Removed: `Authorization`, `X-API-Key`
 * (the key never leaves the edge), hop-by-hop headers, `Host` (the upstream's own host is sent, as
 * nginx does), client-sent `Forwarded`, `X-Real-IP` and `X-Forwarded-*`, and every header whose
 * name contains `_` (docs/security.md, "Forwarded headers").
 * Failures: time-outs → 504, refused/reset/DNS and any other transport error → 502, a chunked
 * body over the limit → 413, all as problem+json (or a cut connection once the answer started).
 */
import type { IncomingHttpHeaders } from "node:http";
import { Pool } from "undici";
import type { Dispatcher } from "undici";
import type { EdgeRequest, EdgeResponse } from "../exchange";
import { serverTiming, type CorsPolicy } from "../headers";
import type { Responder } from "../respond";
import type { Route } from "./route-table";

/**
 * Request headers never forwarded: hop-by-hop, credentials, the ones the edge sets itself, and
 * client claims about the client (`X-Forwarded-*` is dropped by prefix: {@link dropped}).
 */
const DROP_REQUEST = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "authorization",
  "x-api-key",
  "x-request-id",
  "x-datahub-key-id",
  "x-datahub-org-id",
  "traceparent",
  "forwarded",
  "x-real-ip",
]);

/** Verdicts of {@link dropped} by header name, bounded: a request's names cost one lookup, as the set alone did. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 1000;
const MAX_REMEMBERED_NAME = 64;

/**
 * True for a request header the edge never forwards: {@link DROP_REQUEST}, any `X-Forwarded-*`
 * (the edge sets its own), and any name with `_` — CGI-style upstreams (Rack, PHP, WSGI) read
 * `X_DataHub_Key_Id` as HTTP_X_DATAHUB_KEY_ID, the edge's own identity header, so such names are
 * dropped as nginx does by default (`underscores_in_headers off`).
 */
function dropped(name: string): boolean {
  let verdict = verdicts.get(name);
  if (verdict === undefined) {
    verdict = DROP_REQUEST.has(name) || name.includes("_") || name.startsWith("x-forwarded-");
    if (verdicts.size < MAX_VERDICTS && name.length <= MAX_REMEMBERED_NAME) verdicts.set(name, verdict);
  }
  return verdict;
}

/** Response headers never passed back: hop-by-hop. */
const DROP_RESPONSE = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** Thrown by the counting body when a chunked request body exceeds its route's limit. */
export class BodyTooLargeError extends Error {
  readonly code = "DATAHUB_BODY_TOO_LARGE";
}

/** Streams `req`, counting bytes into `res.bytesIn` and failing once `max` is exceeded. */
async function* limitedBody(req: EdgeRequest, res: EdgeResponse, max: number): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.length;
    res.bytesIn = n;
    if (n > max) throw new BodyTooLargeError("request body too large");
    yield chunk;
  }
}

/** Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === "keep-alive" || v === "close") return undefined;
  return new Set(v.split(",").map((s) => s.trim()));
}

/** Options for {@link Forwarder}. */
export interface ForwarderOptions {
  responder: Responder;
  cors: CorsPolicy;
  /** Security headers to add to proxied responses where the upstream did not set them. */
  proxiedSecurity: Record<string, string>;
  /** `http` or `https`: the scheme clients used (X-Forwarded-Proto). */
  proto: string;
}

/** Owns the upstream pools and forwards requests. */
export class Forwarder {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly opts: ForwarderOptions) {
    this.onHeaders = this.onHeaders.bind(this);
    this.onDone = this.onDone.bind(this);
  }

  /**
   * Sends the request upstream. `path` is the request path without query; `search` is `?...` or
   * ''. `bodyLimit` applies to chunked bodies (a Content-Length body was checked before).
   */
  forward(req: EdgeRequest, res: EdgeResponse, route: Route, search: string, bodyLimit: number): void {
    const ctx = res.ctx;
    const headers = req.headers;
    const out: string[] = [];
    const extraDrop = connectionTokens(headers.connection);
    for (const name in headers) {
      if (dropped(name) || (extraDrop !== undefined && extraDrop.has(name))) continue;
      const v = headers[name];
      if (typeof v === "string") out.push(name, v);
      else if (v !== undefined) for (const one of v) out.push(name, one);
    }
    out.push("x-request-id", ctx.requestId);
    const p = ctx.principal;
    if (p !== undefined) out.push("x-datahub-key-id", p.keyId, "x-datahub-org-id", p.orgId);
    out.push("traceparent", ctx.traceparent!);
    // One address: anything left of the resolved client is the client's own claim, and upstreams
    // that read the leftmost entry would believe it (docs/security.md).
    out.push("x-forwarded-for", ctx.clientIp);
    out.push("x-forwarded-proto", ctx.forwardedProto ?? this.opts.proto);
    if (headers.host !== undefined) out.push("x-forwarded-host", headers.host);

    let body: Dispatcher.DispatchOptions["body"] | AsyncIterable<Buffer>;
    if (headers["transfer-encoding"] !== undefined) body = limitedBody(req, res, bodyLimit);
    else if (headers["content-length"] !== undefined && headers["content-length"] !== "0") body = req;

    const path = route.stripPath ? res.path.slice(route.prefix.length === 1 ? 0 : route.prefix.length) || "/" : res.path;
    res.upstreamStartedAt = process.hrtime.bigint();
    this.pool(route.origin).stream<EdgeResponse>(
      {
        path: route.basePath + (path.charCodeAt(0) === 47 ? path : "/" + path) + search,
        method: req.method as Dispatcher.HttpMethod,
        headers: out,
        // undici streams async iterables too; its option type lists only the classic body kinds.
        body: body as Dispatcher.DispatchOptions["body"],
        headersTimeout: route.timeoutMs,
        bodyTimeout: route.timeoutMs,
        opaque: res,
      },
      this.onHeaders,
      this.onDone,
    );
  }

  /** Closes pools of origins no longer in `origins` (after their in-flight requests). */
  retain(origins: Set<string>): void {
    for (const [origin, pool] of this.pools) {
      if (!origins.has(origin)) {
        this.pools.delete(origin);
        void pool.close().catch(() => {});
      }
    }
  }

  /** Closes every pool, letting in-flight requests finish. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => {})));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Upstream answered: write the client's status and headers; undici then streams the body into `res`. */
  private onHeaders({ statusCode, headers, opaque }: Dispatcher.StreamFactoryData<EdgeResponse>): EdgeResponse {
    const res = opaque;
    const ctx = res.ctx;
    const now = process.hrtime.bigint();
    ctx.upstreamNs = now - res.upstreamStartedAt;
    const out: Record<string, string | string[]> = {};
    const up = headers as IncomingHttpHeaders;
    for (const name in up) {
      const v = up[name];
      if (v !== undefined && !DROP_RESPONSE.has(name)) out[name] = v;
    }
    out["x-request-id"] = ctx.requestId;
    res.gatewayNs = now - ctx.startedAt - ctx.upstreamNs;
    const timing = serverTiming(res.gatewayNs);
    const upTiming = out["server-timing"];
    out["server-timing"] = upTiming === undefined ? timing : timing + ", " + String(upTiming);
    const rl = res.rateLimit;
    if (rl !== undefined) {
      out["ratelimit-policy"] = rl["ratelimit-policy"];
      out["ratelimit"] = rl.ratelimit;
    }
    const sec = this.opts.proxiedSecurity;
    for (const name in sec) if (out[name] === undefined) out[name] = sec[name]!;
    const origin = res.req.headers.origin;
    if (origin !== undefined && out["access-control-allow-origin"] === undefined && this.opts.cors.allows(origin)) {
      this.opts.cors.addResponseHeaders(out, origin);
    }
    res.writeHead(statusCode, out);
    return res;
  }

  /** The exchange with the upstream ended: nothing to do on success; map a failure to a status. */
  private onDone(err: Error | null, data: Dispatcher.StreamData<EdgeResponse>): void {
    if (err === null) return;
    const res = data.opaque;
    const ctx = res.ctx;
    if (ctx.upstreamNs === 0n) ctx.upstreamNs = process.hrtime.bigint() - res.upstreamStartedAt;
    if (res.destroyed || res.socket === null || res.socket.destroyed) {
      // The client went away; there is nobody to answer.
      ctx.error ??= "client_closed";
      res.destroy();
      return;
    }
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const responder = this.opts.responder;
    if (err instanceof BodyTooLargeError) {
      responder.problem(res, 413, "payload-too-large", "The request body is larger than this route accepts.", { connection: "close" });
    } else if (TIMEOUT_CODES.has(code)) {
      responder.problem(res, 504, "upstream-timeout", "The upstream did not answer in time.");
    } else {
      responder.problem(res, 502, "upstream-unavailable", "The upstream could not be reached or closed the connection.");
    }
  }
}
