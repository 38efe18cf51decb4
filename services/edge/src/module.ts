/**
 * The edge as a runner module: wires the key cache (+ pushed invalidations), the rate-limit
 * batcher, the audit shipper, the route table (+ reloads), the forwarder and the `/v1` API into
 * the pipeline, and serves it on `config.ports.edge`.
 */
import { audit, auth, ratelimit, webhooks } from "@datahub/proto";
import { type DatahubModule, KeyCache, subscribeInvalidations, systemEventsCounter, throttledWarn, tracingEnabled } from "@datahub/runtime";
import { createManagementApi } from "./api/index";
import { AuditShipper } from "./audit/shipper";
import { CorsPolicy, PROXIED_SECURITY_HEADERS, securityHeaders } from "./headers";
import { createEdgeMetrics, registerEdgeGauges } from "./metrics";
import { createPipeline } from "./pipeline";
import { openConsole } from "./console/open";
import { RateLimitEvents } from "./events/ratelimit-exceeded";
import { Forwarder } from "./proxy/forward";
import { RoutesSource } from "./proxy/routes-source";
import { CheckBatcher } from "./ratelimit/batcher";
import { RateLimitGate } from "./ratelimit/gate";
import { algorithmOf } from "./ratelimit/policies";
import { RequestLog } from "./request-log";
import { Responder } from "./respond";
import { startEdgeServer, type EdgeServer } from "./server";
import { noteVerifyFlight, verifyInSpan } from "./trace";

/** The public HTTP(S) edge: `/v1` management API and proxy routes. */
export const edgeModule: DatahubModule = {
  name: "edge",
  requires: ["ops"],
  after: ["auth", "ratelimit", "audit", "webhooks"],
  async start(ctx) {
    const { config, logger, registry, health } = ctx;
    const log = logger.child({ module: "edge" });
    const metrics = createEdgeMetrics(registry);
    const authClient = ctx.client(auth.AuthService, config.addresses.auth);
    const ratelimitClient = ctx.client(ratelimit.RateLimitService, config.addresses.ratelimit);
    const auditClient = ctx.client(audit.AuditService, config.addresses.audit);
    // Only `/v1/webhooks*`, `/v1/events` and the ratelimit.exceeded event use it: when the
    // webhooks service is down those answer 503 / drop the event; the rest of the edge is unaffected.
    const webhooksClient = ctx.client(webhooks.WebhookService, config.addresses.webhooks);

    const routes = await RoutesSource.create({
      path: config.configPath,
      logger: log,
      rateLimitCaps: { maxLogLimit: config.ratelimit.maxLogLimit, defaultAlgorithm: config.ratelimit.defaultAlgorithm },
      consolePath: config.console.enabled ? config.console.path : undefined,
    });

    const tracing = tracingEnabled();
    const keys = new KeyCache({
      verify: tracing ? (key) => verifyInSpan(() => authClient.verifyKey({ key })) : (key) => authClient.verifyKey({ key }),
      ttlMs: config.authCache.ttlMs,
      negativeTtlMs: config.authCache.negativeTtlMs,
      staleTtlMs: config.authCache.staleTtlMs,
      size: config.authCache.size,
      onResult: (result) => metrics.authCache.labels(result).inc(),
      onFlight: tracing ? noteVerifyFlight : undefined,
    });

    const warnRateLimit = throttledWarn(log);
    // A slow ratelimit service must not stall traffic: a short deadline, then the failure mode.
    const checkTimeoutMs = Math.min(config.rpcTimeoutMs, config.ratelimit.rpcTimeoutMs);
    const batcher = new CheckBatcher({
      // Batches ride on one exchange stream in every mode (docs/architecture.md, "Batch streams");
      // with tracing on, each group carries its request's traceparent for the span links.
      send: (req) => ratelimitClient.checkBatchStream(req, { timeoutMs: checkTimeoutMs }),
      breakerMs: config.ratelimit.breakerMs,
      onError: (err) => {
        warnRateLimit(err, "ratelimit service failed; applying each policy's failure mode");
      },
    });
    const limits = new RateLimitGate({
      batcher,
      defaultFailureMode: config.ratelimit.failureMode,
      instances: config.ratelimit.instances,
      prefix: config.redis.prefix,
      maxLogLimit: config.ratelimit.maxLogLimit,
      defaultAlgorithm: algorithmOf(config.ratelimit.defaultAlgorithm),
      onDecision: (decision) => metrics.ratelimitDecisions.labels(decision).inc(),
    });

    const shipper = new AuditShipper({
      append: (records) => auditClient.appendLogsStream({ records }),
      batchSize: config.audit.batchSize,
      bufferSize: config.audit.bufferSize,
      flushMs: config.audit.flushMs,
      logger: log,
      registry,
    });
    shipper.start();
    registerEdgeGauges(registry, { cacheEntries: () => keys.size, auditBufferCapacity: config.audit.bufferSize });

    const security = securityHeaders(config.tls !== undefined);
    const proxiedSecurity: Record<string, string> = {};
    for (const name of PROXIED_SECURITY_HEADERS) if (security[name] !== undefined) proxiedSecurity[name] = security[name];
    const cors = new CorsPolicy(config.corsOrigins);
    const responder = new Responder(security, cors);
    const forwarder = new Forwarder({ responder, cors, proxiedSecurity, proto: config.tls ? "https" : "http" });
    const requestLog = new RequestLog(metrics, log, shipper);
    const api = createManagementApi({ auth: authClient, audit: auditClient, webhooks: webhooksClient, config, logger: log, routes });

    const systemEvents = systemEventsCounter(registry);
    const rateLimitEvents = new RateLimitEvents({
      publish: (req, opts) => webhooksClient.publish(req, opts),
      logger: log,
      timeoutMs: config.rpcTimeoutMs,
      onOutcome: (outcome) => systemEvents.inc({ source: "edge", outcome }),
    });

    const opened = openConsole({ config, auth: authClient, responder, logger: log, health });
    const adminConsole = opened?.console;
    const handler = createPipeline({
      config,
      logger: log,
      health,
      routes,
      keys,
      limits,
      forwarder,
      responder,
      requestLog,
      cors,
      security,
      api,
      console: adminConsole,
      onRateLimited: (principal, group, decisions) => rateLimitEvents.note(principal, group, decisions),
    });
    /** Releases all but the server and the subscription: once the server drained, or when it could not listen. */
    const release = async () => {
      await forwarder.close();
      await shipper.stop(config.shutdown.timeoutMs);
      await limits.close();
      opened?.close();
    };
    let server: EdgeServer;
    try {
      server = await startEdgeServer({ config, handler, requestLog, security });
    } catch (err) {
      // The runner stops only modules that started.
      routes.close();
      await release();
      throw err;
    }
    log.info({ port: server.port, tls: config.tls !== undefined }, "edge listening");
    // Subscribed once the port is ours, so a port that cannot be bound leaves no Redis connection
    // to close. Keys cached before the subscription is ready live 1 s at most, and it empties the
    // cache when ready.
    const subscriber = subscribeInvalidations(config, keys, log);

    return {
      info: { port: server.port },
      reload: async () => {
        if (await routes.reload()) forwarder.retain(routes.current.origins());
      },
      async stop() {
        routes.close();
        await server.close(config.shutdown.timeoutMs);
        await release();
        await subscriber.close();
      },
    };
  },
};
