import { createRedis, isRedisReady, withTimeout, type DatahubModule } from "@datahub/runtime";
import { ratelimit } from "@datahub/proto";
import { algorithmByName } from "./algorithms";
import { rateLimitMetrics } from "./metrics";
import { RedisRateLimiter } from "./redis-limiter";
import { rateLimitService } from "./server";

/** How long start-up waits for the first Redis connection before serving anyway (readiness says no). */
const CONNECT_WAIT_MS = 2000;

/**
 * The ratelimit service as a runner module: a Redis-backed limiter behind RateLimitService on the
 * process's gRPC server, a `redis` readiness check, and its metrics.
 */
export const ratelimitModule: DatahubModule = {
  name: "ratelimit",
  requires: ["grpc"],
  async start(ctx) {
    const { config, logger } = ctx;
    const log = logger.child({ module: "ratelimit" });
    const client = createRedis(
      {
        urls: config.redis.ratelimit,
        cluster: config.redis.cluster,
        name: "ratelimit",
        // ioredis's own timer is not lag-tolerant (it fires before a ready reply is read when the
        // process is busy), so it is only a backstop; the limiter's deadline below is the budget.
        commandTimeoutMs: Math.max(1000, config.ratelimit.redisTimeoutMs * 10),
        // While disconnected, calls fail at once instead of queueing: the edge's fallback decides.
        // A socket that never connected keeps ioredis's 2 s close timer alive at shutdown; 200 ms is plenty.
        // Reconnect attempts at most 200 ms apart: checks go back to Redis within ~1 s of it returning.
        options: { enableOfflineQueue: false, disconnectTimeout: 200, retryStrategy: (times: number) => Math.min(25 * 2 ** times, 200) },
      },
      log,
    );
    await withTimeout(
      new Promise<void>((resolve) => (isRedisReady(client) ? resolve() : client.once("ready", () => resolve()))),
      CONNECT_WAIT_MS,
    ).catch(() => log.warn("redis not ready at start-up; serving UNAVAILABLE until it is"));

    const metrics = rateLimitMetrics(ctx.registry);
    let lastErrorLog = 0;
    const limiter = new RedisRateLimiter({
      client,
      prefix: config.redis.prefix,
      maxLogLimit: config.ratelimit.maxLogLimit,
      defaultAlgorithm: algorithmByName(config.ratelimit.defaultAlgorithm),
      // The Redis budget: a lag-tolerant deadline (runtime withTimeout) over the whole batch.
      timeoutMs: config.ratelimit.redisTimeoutMs,
      onError: (err) => {
        metrics.redisErrors.inc();
        // At most one line per second: an outage must not flood the logs.
        if (Date.now() - lastErrorLog > 1000) {
          lastErrorLog = Date.now();
          log.warn({ err: { message: err.message } }, "rate limit redis call failed");
        }
      },
    });
    // Named apart from auth's `redis` check: in one process both register, and they may be different Redis servers.
    ctx.health.addCheck("ratelimit-redis", () => isRedisReady(client));
    ctx.grpc.addService(ratelimit.RateLimitService, rateLimitService(limiter, metrics, log));
    return {
      info: { prefix: `${config.redis.prefix}:rl:` },
      async stop() {
        await limiter.close();
        await withTimeout(client.quit(), 1000).catch(() => client.disconnect());
      },
    };
  },
};
