/**
 * What ioredis's auto-pipelining costs the rate limiter: `RedisRateLimiter.check` (validation, one
 * script call, results) with its script calls sent directly (what the limiter does) against the
 * same calls through an auto-pipeline (what it did before: one ioredis Pipeline object per call).
 * Process CPU per group (process.cpuUsage, user + system), sequential checks of G one-descriptor
 * groups on distinct keys, the two variants alternating ROUNDS times (default 3).
 *   node --import tsx bench/redis-autopipeline.ts      (env: G=1,26  N=3000  ROUNDS=3  BENCH_REDIS_URL)
 */
import { Redis } from "ioredis";
import { RedisRateLimiter } from "../services/ratelimit/src/index";

const url = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const sizes = (process.env.G ?? "1,26").split(",").map(Number);
const N = Number(process.env.N ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const prefix = `benchap${process.pid}`;

function limiterOn(autoPipelined: boolean): { limiter: RedisRateLimiter; client: Redis } {
  const client = new Redis(url, { enableAutoPipelining: true });
  const limiter = new RedisRateLimiter({ client, prefix, maxLogLimit: 100_000, timeoutMs: 5000 });
  // The limiter takes its script out of auto-pipelining; putting it back reproduces the old path.
  if (autoPipelined) client.options.autoPipeliningIgnoredCommands = [];
  return { limiter, client };
}

async function cpuPerGroup(limiter: RedisRateLimiter, g: number): Promise<number> {
  const groups = Array.from({ length: g }, (_, i) => [{ key: `{k:${i}}:default`, limit: 100_000, windowMs: 1000, cost: 1, algorithm: 0 }]);
  for (let i = 0; i < 300; i++) await limiter.check(groups);
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await limiter.check(groups);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (N * g);
}

const direct = limiterOn(false);
const piped = limiterOn(true);
for (const g of sizes) {
  for (let round = 1; round <= ROUNDS; round++) {
    const a = await cpuPerGroup(piped.limiter, g);
    const b = await cpuPerGroup(direct.limiter, g);
    console.log(`${g} group(s) per check, round ${round}: auto-pipelined ${a.toFixed(1)} µs, direct ${b.toFixed(1)} µs of CPU per group`);
  }
}
const keys = await direct.client.keys(`${prefix}:*`);
if (keys.length > 0) await direct.client.del(...keys);
direct.client.disconnect();
piped.client.disconnect();
