/**
 * Usage of the process's Postgres pools and Redis clients as Prometheus gauges, read on scrape:
 * `createPgPool` and `createRedis` register what they create here, so no service has to wire its
 * pools to the registry, and a pool that ended simply disappears from the next scrape.
 *
 * - `datahub_pg_pool_clients{pool,state="active"|"idle"}`, `datahub_pg_pool_max_clients{pool}`,
 *   `datahub_pg_pool_waiting_requests{pool}` (queries queued for a free client: the pool is the
 *   bottleneck when this stays above 0);
 * - `datahub_redis_up{client}` (1 = ready), `datahub_redis_queued_commands{client}` (sent and
 *   awaiting a reply, or buffered while disconnected).
 */
import type pg from "pg";
import type { Registry } from "prom-client";
import { gauge } from "./metrics";
import type { RedisClient } from "./redis";

const pools = new Map<pg.Pool, { name: string; max: number }>();
const redisClients = new Map<RedisClient, string>();

/** Called by `createPgPool`: the pool is reported until it ends. */
export function trackPgPool(pool: pg.Pool, name: string, max: number): void {
  pools.set(pool, { name, max });
}

/** Called by `createRedis`: the client is reported until it quits. */
export function trackRedis(client: RedisClient, name: string): void {
  redisClients.set(client, name);
  client.once("end", () => redisClients.delete(client));
}

function add(into: Map<string, number>, key: string, n: number): void {
  into.set(key, (into.get(key) ?? 0) + n);
}

/** `value` of every live pool, summed per pool name (pools that ended are forgotten). */
function perPool(value: (pool: pg.Pool, max: number) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pool, { name, max }] of pools) {
    if (pool.ended) {
      pools.delete(pool);
      continue;
    }
    add(out, name, value(pool, max));
  }
  return out;
}

/** Registers the dependency gauges in `registry` (once per registry). */
export function registerDependencyMetrics(registry: Registry): void {
  gauge(registry, {
    name: "datahub_pg_pool_clients",
    help: "Postgres connections of each pool by state: active (checked out) or idle.",
    labelNames: ["pool", "state"] as const,
    collect() {
      this.reset();
      for (const [name, n] of perPool((p) => p.totalCount - p.idleCount)) this.set({ pool: name, state: "active" }, n);
      for (const [name, n] of perPool((p) => p.idleCount)) this.set({ pool: name, state: "idle" }, n);
    },
  });
  gauge(registry, {
    name: "datahub_pg_pool_max_clients",
    help: "Configured maximum connections of each Postgres pool.",
    labelNames: ["pool"] as const,
    collect() {
      this.reset();
      for (const [name, n] of perPool((_, max) => max)) this.set({ pool: name }, n);
    },
  });
  gauge(registry, {
    name: "datahub_pg_pool_waiting_requests",
    help: "Queries waiting for a free connection of each Postgres pool.",
    labelNames: ["pool"] as const,
    collect() {
      this.reset();
      for (const [name, n] of perPool((p) => p.waitingCount)) this.set({ pool: name }, n);
    },
  });
  gauge(registry, {
    name: "datahub_redis_up",
    help: "1 when the Redis client is connected and ready, else 0.",
    labelNames: ["client"] as const,
    collect() {
      this.reset();
      const up = new Map<string, number>();
      for (const [client, name] of redisClients) up.set(name, Math.min(up.get(name) ?? 1, client.status === "ready" ? 1 : 0));
      for (const [name, n] of up) this.set({ client: name }, n);
    },
  });
  gauge(registry, {
    name: "datahub_redis_queued_commands",
    help: "Redis commands sent and awaiting a reply, or buffered while the client reconnects.",
    labelNames: ["client"] as const,
    collect() {
      this.reset();
      const queued = new Map<string, number>();
      for (const [client, name] of redisClients) {
        // ioredis keeps both queues on the instance; `offlineQueue` is not in its typings.
        const c = client as unknown as { commandQueue?: { length: number }; offlineQueue?: { length: number } };
        add(queued, name, (c.commandQueue?.length ?? 0) + (c.offlineQueue?.length ?? 0));
      }
      for (const [name, n] of queued) this.set({ client: name }, n);
    },
  });
}
