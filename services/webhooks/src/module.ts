import { fileURLToPath } from "node:url";
import { webhooks } from "@datahub/proto";
import { createPgPool, createRedis, isRedisReady, migrate, type Config, type DatahubModule, type Logger } from "@datahub/runtime";
import { webhookMetrics } from "./metrics";
import { EventPublisher } from "./publisher";
import { DeliveryQueue } from "./queue";
import { RedisDeliveryRateLimiter } from "./rate-limiter";
import { WebhookSender } from "./sender";
import { createWebhookService } from "./server";
import { parseAllowList } from "./ssrf";
import { PgWebhookStore } from "./store/pg-store";
import { startSweeper } from "./sweeper";
import { startDeliveryWorker } from "./worker";

/** The webhooks service's SQL migrations (node-pg-migrate SQL files). */
export const WEBHOOKS_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

/** Statement timeout of the webhooks pool; a store call slower than this fails with UNAVAILABLE. */
const STATEMENT_TIMEOUT_MS = 10_000;

/**
 * Applies the webhooks service's migrations (schema `webhooks`) over `config.databaseDirectUrls.webhooks` (a session: node-pg-migrate holds an advisory lock).
 * @returns names of the migrations applied by this call.
 */
export function migrateWebhooks(config: Config, logger: Logger): Promise<string[]> {
  return migrate({ databaseUrl: config.databaseDirectUrls.webhooks, schema: "webhooks", dir: WEBHOOKS_MIGRATIONS_DIR, logger });
}

/** The BullMQ key prefix: the runtime prefix + `webhooks`, hash-tagged on Redis Cluster (one slot per queue). */
export function queuePrefix(config: Config): string {
  const p = `${config.redis.prefix}:webhooks`;
  return config.redis.cluster ? `{${p}}` : p;
}

/**
 * The webhooks service: endpoints, events and deliveries in Postgres (schema `webhooks`), a
 * transactional outbox drained into a BullMQ queue (own Redis prefix, `WEBHOOKS_REDIS_URL`),
 * workers that sign and deliver with retries, and an outbox sweeper. See docs/webhooks.md.
 */
export const webhooksModule: DatahubModule = {
  name: "webhooks",
  requires: ["grpc"],
  async start(ctx) {
    const { config, registry } = ctx;
    const logger = ctx.logger.child({ module: "webhooks" });
    const wh = config.webhooks;
    await migrateWebhooks(config, logger);
    const pool = createPgPool(
      config.databaseUrls.webhooks,
      { applicationName: "datahub-webhooks", max: 20, statementTimeoutMs: STATEMENT_TIMEOUT_MS },
      logger,
    );
    const store = new PgWebhookStore(pool);
    const prefix = queuePrefix(config);
    const redisOpts = { urls: config.redis.webhooks, cluster: config.redis.cluster };
    // BullMQ's connections: no auto-pipelining (blocking commands) and no per-command retry cap
    // (BullMQ requires maxRetriesPerRequest: null and reconnects on its own).
    const bullOptions = { maxRetriesPerRequest: null, enableAutoPipelining: false };
    const queueRedis = createRedis({ ...redisOpts, name: "datahub-webhooks-queue", options: bullOptions }, logger);
    const workerRedis = createRedis({ ...redisOpts, name: "datahub-webhooks-worker", options: bullOptions }, logger);
    const limiterRedis = createRedis({ ...redisOpts, name: "datahub-webhooks-ratelimit", commandTimeoutMs: 500 }, logger);

    const queue = new DeliveryQueue(queueRedis, prefix);
    const metrics = webhookMetrics(registry, () => queue.depth());
    const allow = parseAllowList(config.webhooksAllowCidrs);
    const sender = new WebhookSender({ allow, timeoutMs: wh.timeoutMs });
    const publisher = new EventPublisher({
      store,
      queue,
      queueReady: () => isRedisReady(queueRedis),
      maxPayloadBytes: wh.maxPayloadBytes,
      metrics,
      logger,
    });

    const worker = startDeliveryWorker({
      connection: workerRedis,
      prefix,
      concurrency: wh.concurrency,
      timeoutMs: wh.timeoutMs,
      logger,
      deps: {
        store,
        sender,
        limiter: new RedisDeliveryRateLimiter(limiterRedis, prefix),
        policy: { scheduleMs: wh.retryScheduleMs, retryAfterMaxMs: wh.retryAfterMaxMs },
        disableAfterMs: wh.disableAfterMs,
        defaultRatePerSecond: wh.defaultRatePerSecond,
        metrics,
        logger,
        async onDisabled(endpoint, reason) {
          await publisher.publish({
            orgId: endpoint.orgId,
            type: "webhook.endpoint.disabled",
            data: { endpointId: endpoint.id, url: endpoint.url, reason, disabledAt: endpoint.updatedAt.toISOString() },
          });
        },
      },
    });

    const sweeper = startSweeper({
      store,
      queue,
      intervalMs: wh.sweepMs,
      overdueMs: wh.sweepOverdueMs,
      logger,
      onEnqueued: (n) => metrics.sweeperEnqueued.inc(n),
      retentionMs: wh.retentionMs,
      onPurged: (n) => metrics.eventsPurged.inc(n),
    });

    ctx.grpc.addService(
      webhooks.WebhookService,
      createWebhookService({ store, publisher, queue, allow, maxRatePerSecond: wh.maxRatePerSecond, timeoutMs: STATEMENT_TIMEOUT_MS, logger }),
    );
    ctx.health.addCheck("webhooks-postgres", async () => {
      await pool.query("SELECT 1");
      return true;
    });
    ctx.health.addCheck("webhooks-redis", () => isRedisReady(queueRedis));

    return {
      info: { pool, queue, sweeper, worker, prefix },
      async stop() {
        await sweeper.stop();
        await publisher.flush();
        await worker.close();
        await queue.close();
        await sender.close();
        for (const r of [queueRedis, workerRedis, limiterRedis]) r.disconnect();
        await pool.end();
      },
    };
  },
};
