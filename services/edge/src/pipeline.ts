/**
 * The edge pipeline (docs/reference/http-api.md, "Pipeline"), in order: request id → timing → authentication → rate
 * limiting → authorization (route scopes) → handler (`/v1` management API or proxy) → request log.
 * Every response carries `X-Request-Id` and `Server-Timing`; a request that fails a stage is
 * still logged (the log is the response's `close` listener, attached first). With the request id
 * come the canonical path and the client address, which every later stage reads
 * (docs/security.md).
 *
 * Hot-path rules: no per-request closures, one SHA-256 (the key-cache lookup), a synchronous
 * cache hit, and one shared CheckBatch RPC per event-loop turn for rate limits.
 */
import { ServerResponse, type IncomingMessage } from "node:http";
import { context, hashApiKey, type KeyCache, hasAllScopes, isWellFormedApiKey, requestIdFrom, tracingEnabled, type Config, type Health, type Logger } from "@datahub/runtime";
import type { ratelimit } from "@datahub/proto";
import type { Principal, RequestContext } from "./context";
import type { EdgeRequest, EdgeResponse } from "./exchange";
import { serverTiming, type CorsPolicy, type HeaderMap } from "./headers";
import type { Responder } from "./respond";
import type { RequestLog } from "./request-log";
import { startRequestSpan, traceFrom } from "./trace";
import { keyFromHeaders, queryCarriesKey } from "./auth/extract";
import type { RateLimitGate, Verdict } from "./ratelimit/gate";
import { anonymousPolicies, keyPolicies, type PolicyGroup } from "./ratelimit/policies";
import { peerAddress, TrustedProxies } from "./client-ip";
import { RequestTarget, type PathRefusal } from "./proxy/canonical-path";
import type { Forwarder } from "./proxy/forward";
import type { Route } from "./proxy/route-table";
import type { RoutesSource } from "./proxy/routes-source";
import { OPENAPI_PATH } from "./api/openapi";
import type { Console } from "./console/console";

/** The `/v1` management API handler (from `./api`). */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void;

/** Everything the pipeline uses. */
export interface PipelineDeps {
  config: Config;
  logger: Logger;
  health: Health;
  routes: RoutesSource;
  keys: KeyCache;
  limits: Pick<RateLimitGate, "check" | "cached">;
  forwarder: Forwarder;
  responder: Responder;
  requestLog: RequestLog;
  cors: CorsPolicy;
  security: HeaderMap;
  api: ApiHandler;
  /** The admin console, when enabled: every path below its prefix is its own. */
  console?: Console;
  /**
   * Called synchronously when a key's request is rate limited (the `ratelimit.exceeded` event);
   * must not throw or block: it runs on the 429 path.
   */
  onRateLimited?: (principal: Principal, group: PolicyGroup, decisions: readonly ratelimit.Decision[]) => void;
}

/** Same body for no, malformed, unknown, revoked and expired keys: nothing to probe. */
const UNAUTHORIZED_DETAIL = "A valid API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.";
const WWW_AUTHENTICATE = { "www-authenticate": 'Bearer realm="datahub"' };

/** Adds Server-Timing just before the management API's headers go out (express sets them itself). */
function writeHeadWithTiming(this: EdgeResponse, ...args: unknown[]): unknown {
  if (!this.hasHeader("server-timing")) this.setHeader("server-timing", serverTiming(process.hrtime.bigint() - this.ctx.startedAt));
  return (ServerResponse.prototype.writeHead as (...a: unknown[]) => unknown).apply(this, args);
}

/** Builds the request handler of the edge server. */
export function createPipeline(deps: PipelineDeps): (req: EdgeRequest, res: EdgeResponse) => void {
  const { config, responder, keys, limits, requestLog, cors } = deps;
  const maxBody = config.limits.maxBodyBytes;
  const strictAnonymous = config.ratelimit.strictAnonymous;
  const target = new RequestTarget();
  // Without trusted proxies the client is the socket peer, at exactly the old cost.
  const trustedProxies = config.trustedProxies.length > 0 ? new TrustedProxies(config.trustedProxies) : undefined;

  /** Anonymous limit first (slows key guessing), then the one 401 answer. */
  async function unauthenticated(req: EdgeRequest, res: EdgeResponse): Promise<void> {
    const group = anonymousPolicies(res.ctx.clientIp, deps.routes.current.defaults.anonymousRateLimit);
    if (await limited(res, group)) return;
    responder.problem(res, 401, "unauthorized", UNAUTHORIZED_DETAIL, WWW_AUTHENTICATE);
  }

  /** Runs one rate-limit group; answers 429 (or 503 for a fail-closed policy) and returns true when refused. */
  async function limited(res: EdgeResponse, group: PolicyGroup): Promise<boolean> {
    // With tracing on, the request's span context rides in the batch (the service links to it).
    const verdict = await limits.check(group, res.span !== undefined ? res.ctx.traceparent : undefined);
    if (verdict.decisions !== undefined && res.ctx.principal !== undefined) deps.onRateLimited?.(res.ctx.principal, group, verdict.decisions);
    return refused(res, verdict);
  }

  /** Answers a refusing verdict (429, or 503 for a fail-closed policy); true when it refused. */
  function refused(res: EdgeResponse, verdict: Verdict): boolean {
    if (verdict.headers !== undefined) res.rateLimit = verdict.headers;
    if (verdict.status === 0) return false;
    if (verdict.status === 429) responder.problem(res, 429, "rate-limited", "Too many requests: a rate limit that applies to this request is exhausted.");
    else responder.problem(res, 503, "ratelimit-unavailable", "Rate limits cannot be checked right now; retry shortly.", { "retry-after": "1" });
    return true;
  }

  function tooLarge(res: EdgeResponse, limit: number): boolean {
    const cl = res.req.headers["content-length"];
    if (cl === undefined) return false;
    const n = Number(cl);
    res.bytesIn = n;
    if (!(n > limit)) return false;
    responder.problem(res, 413, "payload-too-large", `The request body is larger than ${limit} bytes.`, { connection: "close" });
    return true;
  }

  async function handle(req: EdgeRequest, res: EdgeResponse, path: string, search: string, slashes: PathRefusal | undefined): Promise<void> {
    try {
      await stages(req, res, path, search, slashes);
    } catch (err) {
      fail(res, err);
    }
  }

  /** `slashes` is set when the path has encoded slashes: a refusal unless the matched route waives it. */
  async function stages(req: EdgeRequest, res: EdgeResponse, path: string, search: string, slashes: PathRefusal | undefined): Promise<void> {
    if (deps.console?.owns(path)) return consoleStages(deps.console, req, res, path, search, slashes);
    const ctx = res.ctx;
    const isV1 = path === "/v1" || path.startsWith("/v1/");
    const table = deps.routes.current;
    const route: Route | undefined = isV1 ? undefined : table.match(path);
    ctx.route = isV1 ? "/v1" : route !== undefined ? route.name : "";

    if (slashes !== undefined && (route === undefined || !route.allowEncodedSlashes)) {
      responder.problem(res, 400, "invalid-path", slashes.detail);
      return;
    }

    if (keyInQuery(res, search)) return;

    // Authentication (a public route needs none: it is limited per client IP instead).
    if (route !== undefined && route.public) {
      if (await limited(res, anonymousPolicies(ctx.clientIp, table.defaults.anonymousRateLimit, route.name, route.rateLimit))) return;
    } else if (path === OPENAPI_PATH) {
      // The API's description is public: a client reads it before it has a key.
      if (await limited(res, anonymousPolicies(ctx.clientIp, table.defaults.anonymousRateLimit))) return;
    } else {
      const key = keyFromHeaders(req.headers);
      if (key === undefined || !isWellFormedApiKey(key)) return unauthenticated(req, res);
      // One SHA-256 per request: the cache lookup and the strict-anonymous check share it.
      const hash = hashApiKey(key);
      const pending = keys.lookup(key, hash);
      if (strictAnonymous && pending instanceof Promise && !keys.verifiedBefore(key, hash)) {
        // A key this edge never verified: an IP already over its anonymous limit is refused before
        // verification, so guessed keys get the same 429 whether valid or not (docs/ratelimiting.md).
        // A key verified earlier and merely being re-verified is not a guess: it is not held back.
        const blocked = limits.cached(anonymousPolicies(ctx.clientIp, table.defaults.anonymousRateLimit));
        if (blocked !== undefined && refused(res, blocked)) return;
      }
      const result = pending instanceof Promise ? await pending : pending;
      if (result.status === "unavailable") {
        responder.problem(res, 503, "auth-unavailable", "The key could not be verified right now; retry shortly.", { "retry-after": "1" });
        return;
      }
      if (result.status === "invalid") return unauthenticated(req, res);
      const p = result.principal;
      ctx.principal = p;
      // Rate limiting.
      const group = keyPolicies(p.keyId, p.rateLimit, route !== undefined ? route.name : "", route?.rateLimit, table.defaults.rateLimit);
      if (await limited(res, group)) return;
      // Authorization.
      if (route !== undefined && route.scopes.length > 0 && !hasAllScopes(p.scopes, route.scopes)) {
        responder.problem(res, 403, "forbidden", "The API key lacks a scope this route requires.");
        return;
      }
    }

    // Handler.
    if (isV1) return managementApi(req, res, path, search);
    if (route === undefined) {
      responder.problem(res, 404, "not-found", "No route matches this path.");
      return;
    }
    if (route.methods !== undefined && !route.methods.has(req.method ?? "")) {
      responder.problem(res, 405, "method-not-allowed", `This route accepts ${route.allow}.`, { allow: route.allow });
      return;
    }
    const limit = route.maxBodyBytes ?? maxBody;
    if (tooLarge(res, limit)) return;
    deps.forwarder.forward(req, res, route, search, limit);
  }

  /** Answers 400 and returns true when the query string carries a credential. */
  function keyInQuery(res: EdgeResponse, search: string): boolean {
    if (search.length <= 1 || !queryCarriesKey(search.slice(1))) return false;
    responder.problem(res, 400, "api-key-in-query", "API keys are not accepted in the query string; send the key in the Authorization or X-API-Key header, and rotate a key that was sent in a URL.");
    return true;
  }

  /** The `/v1` handler, for an authenticated, rate-limited caller; `path` is the canonical `/v1` path. */
  function managementApi(req: EdgeRequest, res: EdgeResponse, path: string, search: string): void {
    if (tooLarge(res, maxBody)) return;
    const headers = responder.baseHeaders(res);
    delete headers["server-timing"];
    for (const name in headers) res.setHeader(name, headers[name]!);
    res.writeHead = writeHeadWithTiming as typeof res.writeHead;
    // express routes on req.url: give it the canonical path the `/v1` check saw.
    req.url = path + search;
    deps.api(req, res, res.ctx);
  }

  /**
   * Paths below the console prefix: pages, the session endpoints (sign-in is limited per client
   * address like any unauthenticated call), and `/v1` authenticated by the session cookie, then
   * rate limited and served exactly as a key's `/v1` call.
   */
  async function consoleStages(con: Console, req: EdgeRequest, res: EdgeResponse, path: string, search: string, slashes: PathRefusal | undefined): Promise<void> {
    const ctx = res.ctx;
    if (slashes !== undefined) {
      responder.problem(res, 400, "invalid-path", slashes.detail);
      return;
    }
    if (keyInQuery(res, search)) return;
    const where = con.classify(path);
    if (where.kind === "page") return con.page(req, res, path, search);
    const table = deps.routes.current;
    if (where.kind === "session") {
      if (req.method === "POST" && (await limited(res, anonymousPolicies(ctx.clientIp, table.defaults.anonymousRateLimit)))) return;
      return con.session(req, res, ctx, path, search);
    }
    ctx.route = "/v1";
    const p = await con.authenticate(req, res);
    if (p === undefined) return;
    ctx.principal = p;
    if (await limited(res, keyPolicies(p.keyId, p.rateLimit, "", undefined, table.defaults.rateLimit))) return;
    managementApi(req, res, where.v1Path, search);
  }

  function fail(res: EdgeResponse, err: unknown): void {
    deps.logger.error({ err, requestId: res.ctx.requestId }, "edge pipeline failed");
    responder.problem(res, 500, "internal", "The gateway failed to handle this request.");
  }

  async function health(res: EdgeResponse, path: string): Promise<void> {
    res.skipLog = true;
    if (path === "/healthz") return responder.json(res, 200, '{"status":"ok"}');
    try {
      const { ready, checks } = await deps.health.report();
      const status = ready ? "ready" : deps.health.isDraining ? "draining" : "not ready";
      responder.json(res, ready ? 200 : 503, JSON.stringify({ status, checks }));
    } catch (err) {
      fail(res, err);
    }
  }

  return function edgeRequest(req: EdgeRequest, res: EdgeResponse): void {
    // Request id and timing come first: everything after, errors included, carries them.
    const startedAt = process.hrtime.bigint();
    // Everything after reads the canonical path (docs/security.md); the query is
    // kept as received, and a refused path is logged as received.
    target.parse(req.url ?? "/");
    const { path, search, refusal } = target;
    const headers = req.headers;
    const peer = peerAddress(req.socket);
    // With OpenTelemetry on, the request's SERVER span is the trace (health probes get none).
    const trace = tracingEnabled() && path !== "/healthz" && path !== "/readyz" ? startRequestSpan(res, req.method, path) : traceFrom(headers.traceparent);
    res.ctx = {
      requestId: requestIdFrom(headers["x-request-id"]),
      startedAt,
      receivedAtMs: Date.now(),
      clientIp: trustedProxies === undefined ? peer : trustedProxies.clientIp(peer, headers),
      forwardedProto: trustedProxies?.forwardedProto(peer, headers),
      principal: undefined,
      route: "",
      traceId: trace.traceId,
      traceparent: trace.traceparent,
      error: undefined,
      upstreamNs: 0n,
    };
    res.path = path;
    res.socketBytesAtStart = req.socket.bytesWritten;
    res.on("close", requestLog.onClose);

    if (path === "/healthz" || path === "/readyz") {
      void health(res, path);
      return;
    }
    // The console is same-origin only: no preflight answers there.
    if (req.method === "OPTIONS" && headers["access-control-request-method"] !== undefined && (path.startsWith("/v1") || cors.allows(headers.origin)) && !deps.console?.owns(path)) {
      responder.preflight(res, headers.origin);
      return;
    }
    if (refusal !== undefined && refusal.path === undefined) {
      responder.problem(res, 400, "invalid-path", refusal.detail);
      return;
    }
    // Inside the span's context, the auth/ratelimit RPC spans become its children (or link to it).
    if (res.spanContext !== undefined) void context.with(res.spanContext, handle, undefined, req, res, path, search, refusal);
    else void handle(req, res, path, search, refusal);
  };
}
