import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "./logger";
import { trackRedis } from "./dependency-metrics";

export type RedisClient = Redis | Cluster;

/** Options for {@link createRedis}. */
export interface CreateRedisOptions {
  /** One URL, or several seed nodes of a Redis Cluster. */
  urls: string[];
  cluster: boolean;
  /** Name for logs and `CLIENT LIST`. */
  name: string;
  /** Per-command timeout in ms; short on the request path so a slow Redis fails fast. */
  commandTimeoutMs?: number;
  /** Extra ioredis options (e.g. BullMQ needs `maxRetriesPerRequest: null`). */
  options?: RedisOptions;
}

/**
 * Creates an ioredis client (or Cluster client) with auto-pipelining: commands issued in the same
 * tick go out in one write, which is how concurrent rate-limit checks share round trips.
 */
export function createRedis(opts: CreateRedisOptions, logger: Logger): RedisClient {
  const base: RedisOptions = {
    connectionName: opts.name,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    ...opts.options,
  };
  let lastError = "";
  const onError = (err: Error) => {
    // ioredis emits an error per reconnect attempt; log each distinct message once.
    if (err.message !== lastError) logger.warn({ redis: opts.name, err: { message: err.message } }, "redis error");
    lastError = err.message;
  };
  const client: RedisClient = opts.cluster
    ? new Cluster(
        opts.urls.map((u) => {
          const p = new URL(u);
          return { host: p.hostname, port: Number(p.port || 6379) };
        }),
        { redisOptions: base, enableAutoPipelining: true, clusterRetryStrategy: base.retryStrategy },
      )
    : new Redis(opts.urls[0]!, base);
  client.on("error", onError);
  client.on("ready", () => (lastError = ""));
  trackRedis(client, opts.name);
  return client;
}

/** True when the client is connected and ready for commands. */
export function isRedisReady(client: RedisClient): boolean {
  return client.status === "ready";
}
