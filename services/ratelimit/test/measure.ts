/**
 * Measures the ratelimit service over loopback (not a test; numbers go to the README):
 *   npx tsx services/ratelimit/test/measure.ts
 * Check latency (sequential), CheckBatch throughput with 64 groups, RedisRateLimiter throughput and CPU
 * per 1,000 groups (batches of 21 and 64), and MEMORY USAGE of one log key.
 */
import { Redis } from "ioredis";
import { ratelimit } from "@datahub/proto";
import { createRpcClient, startRunner } from "@datahub/runtime";
import { captureLogger, testConfig, testEnv, TEST_REDIS_URL, uniqueSuffix, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import { ratelimitModule, RedisRateLimiter } from "../src/index";
import { deleteKeys } from "./redis-helpers";

const prefix = `rlmeasure${uniqueSuffix()}`;
const env = await testEnv({ databaseUrl: "postgres://postgres@127.0.0.1/unused", redisPrefix: prefix, extra: { DATAHUB_TARGET: "ratelimit", DATAHUB_RATELIMIT_REDIS_TIMEOUT_MS: process.env.DATAHUB_RATELIMIT_REDIS_TIMEOUT_MS ?? "50" } });
const runner = await startRunner({ config: testConfig(env), modules: [ratelimitModule], logger: captureLogger("warn").logger });
const rpc = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${runner.ports.grpc}`, { timeoutMs: 5000, credentials: TEST_CREDENTIALS });
let failed = 0;
/** Counts UNAVAILABLE answers (command timeouts on a loaded box) instead of stopping the run. */
const client = {
  check: (req: Parameters<typeof rpc.check>[0]) => rpc.check(req).catch(() => void failed++),
  checkBatchStream: (req: Parameters<typeof rpc.checkBatchStream>[0]) => rpc.checkBatchStream(req).catch(() => void failed++),
  close: () => rpc.close(),
};
const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
const desc = (key: string) => ({ key, limit: 10_000n, windowMs: 60_000n, cost: 1n, algorithm: 0 });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => x.toFixed(3);

// Warm up connections and the script cache.
for (let i = 0; i < 200; i++) await client.check({ descriptors: [desc(`{w${i % 8}}:a`)] });

const lat: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t = performance.now();
  await client.check({ descriptors: [desc(`{p${i % 64}}:a`), desc(`{p${i % 64}}:b`)] });
  lat.push(performance.now() - t);
}
console.log(`Check (2 descriptors), sequential, n=2000: p50 ${ms(pct(lat, 50))} ms, p99 ${ms(pct(lat, 99))} ms, mean ${ms(lat.reduce((a, b) => a + b) / lat.length)} ms`);

{
  const n = 4000;
  const t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < n) await client.check({ descriptors: [desc(`{c${next++ % 64}}:a`)] });
  }));
  console.log(`Check, 64 in flight: ${Math.round(n / ((performance.now() - t) / 1000))} calls/s`);
}

const batch = { requests: Array.from({ length: 64 }, (_, i) => ({ descriptors: [desc(`{b${i}}:a`), desc(`{b${i}}:b`)] })) };
for (const inflight of [1, 4]) {
  const rounds = 400;
  const blat: number[] = [];
  const t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (next++ < rounds) {
      const s = performance.now();
      await client.checkBatchStream(batch);
      blat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t) / 1000;
  console.log(`CheckBatch of 64 groups (2 descriptors each), ${inflight} in flight: ${Math.round((rounds * 64) / secs)} groups/s, batch p50 ${ms(pct(blat, 50))} ms, p99 ${ms(pct(blat, 99))} ms`);
}

{
  const limiter = new RedisRateLimiter({ client: redis, prefix, maxLogLimit: 10_000, timeoutMs: 5000 });
  // CPU per 1,000 groups: this process (process.cpuUsage) and Redis (INFO cpu, user + sys).
  const redisCpu = async () => {
    const s = await redis.info("cpu");
    const g = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(s)![1]);
    return g("used_cpu_user") + g("used_cpu_sys");
  };
  for (const size of [21, 64]) {
    const groups = Array.from({ length: size }, (_, i) => [
      { key: `{d${size}g${i}}:a`, limit: 10_000, windowMs: 60_000, cost: 1, algorithm: 0 },
      { key: `{d${size}g${i}}:b`, limit: 10_000, windowMs: 60_000, cost: 1, algorithm: 0 },
    ]);
    for (let r = 0; r < 30; r++) await limiter.check(groups);
    const rounds = Math.round(25_000 / size);
    const r0 = await redisCpu();
    const p0 = process.cpuUsage();
    const t = performance.now();
    for (let r = 0; r < rounds; r++) await limiter.check(groups);
    const secs = (performance.now() - t) / 1000;
    const p = process.cpuUsage(p0);
    const k = (rounds * size) / 1000;
    console.log(`RedisRateLimiter.check of ${size} groups (2 descriptors each) in-process, 1 in flight: ${Math.round((rounds * size) / secs)} groups/s; CPU per 1,000 groups: process ${((p.user + p.system) / 1000 / k).toFixed(1)} ms, Redis ${((((await redisCpu()) - r0) * 1000) / k).toFixed(1)} ms`);
  }

  for (const entries of [100, 1000]) {
    const key = `{mem${entries}}:a`;
    await limiter.check([[{ key, limit: 10_000, windowMs: 60_000, cost: entries, algorithm: 0 }]]);
    const bytes = (await redis.call("MEMORY", "USAGE", `${prefix}:rl:${key}`, "SAMPLES", "0")) as number;
    const enc = await redis.call("OBJECT", "ENCODING", `${prefix}:rl:${key}`);
    console.log(`MEMORY USAGE of one log with ${entries} entries: ${bytes} bytes (${(bytes / entries).toFixed(1)} B/entry, encoding ${enc})`);
  }
}

client.close();
await runner.stop();
await deleteKeys(redis, prefix);
redis.disconnect();
console.log(`load average ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")}; failed RPCs: ${failed}; redis errors during the run: ${(await runner.registry.getSingleMetric("datahub_ratelimit_redis_errors_total")!.get()).values[0]?.value ?? 0}`);
