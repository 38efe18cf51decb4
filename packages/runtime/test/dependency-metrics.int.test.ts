/**
 * Postgres pool and Redis client gauges, read on scrape from what createPgPool/createRedis made:
 * a saturated pool shows its waiting queries, a Redis that cannot be reached shows up=0, and an
 * ended pool disappears.
 */
import { createMetricsRegistry } from "../src/metrics";
import { registerDependencyMetrics } from "../src/dependency-metrics";
import { createPgPool } from "../src/db";
import { createRedis } from "../src/redis";
import { captureLogger, eventually, freePort, TEST_PG_URL, TEST_REDIS_URL, uniqueSuffix } from "../src/testing/index";

async function sample(registry: ReturnType<typeof createMetricsRegistry>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((s) => Object.entries(labels).every(([k, val]) => s.labels[k] === val));
  return v?.value;
}

it("reports active, idle and waiting clients of a pool, and forgets it once it ended", async () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  registerDependencyMetrics(registry);
  const name = `test-pool-${uniqueSuffix()}`;
  const pool = createPgPool(`${TEST_PG_URL}/postgres`, { applicationName: name, max: 1 }, captureLogger().logger);
  const held = await pool.connect();
  const queued = pool.query("SELECT 1");
  expect(await sample(registry, "datahub_pg_pool_clients", { pool: name, state: "active" })).toBe(1);
  expect(await sample(registry, "datahub_pg_pool_waiting_requests", { pool: name })).toBe(1);
  expect(await sample(registry, "datahub_pg_pool_max_clients", { pool: name })).toBe(1);
  held.release();
  await queued;
  expect(await sample(registry, "datahub_pg_pool_waiting_requests", { pool: name })).toBe(0);
  expect(await sample(registry, "datahub_pg_pool_clients", { pool: name, state: "idle" })).toBe(1);
  await pool.end();
  expect(await sample(registry, "datahub_pg_pool_clients", { pool: name, state: "idle" })).toBeUndefined();
});

it("reports a reachable Redis as up and an unreachable one as down", async () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  registerDependencyMetrics(registry);
  const { logger } = captureLogger();
  const up = createRedis({ urls: [TEST_REDIS_URL], cluster: false, name: `up-${uniqueSuffix()}` }, logger);
  const down = createRedis({ urls: [`redis://127.0.0.1:${await freePort()}`], cluster: false, name: `down-${uniqueSuffix()}` }, logger);
  try {
    await eventually(async () => (await sample(registry, "datahub_redis_up", { client: (up.options as { connectionName: string }).connectionName })) === 1);
    expect(await sample(registry, "datahub_redis_up", { client: (down.options as { connectionName: string }).connectionName })).toBe(0);
    expect(await sample(registry, "datahub_redis_queued_commands", { client: (up.options as { connectionName: string }).connectionName })).toBe(0);
  } finally {
    up.disconnect();
    down.disconnect();
    // The unreachable client has no socket to close: disconnect() cancels its reconnect timer.
    await eventually(() => up.status === "end");
  }
});
