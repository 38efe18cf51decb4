import { Redis } from "ioredis";
import { createRedis, withTimeout } from "@datahub/runtime";
import { captureLogger, freePort, TEST_REDIS_URL, uniqueSuffix } from "@datahub/runtime/testing";
import { RateLimitUnavailableError, RedisRateLimiter, type DescriptorInput } from "../src/index";
import { MAX_GROUPS_PER_SCRIPT } from "../src/redis-limiter";
import { ALGORITHMS } from "../src/algorithms";
import { buildGroupScript } from "../src/algorithms/group-script";
import { describeLimiterBehaviour } from "./behaviour";
import { deleteKeys, listKeys, stallableProxy } from "./redis-helpers";

const prefix = `rltest${uniqueSuffix()}`;
const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
const limiter = new RedisRateLimiter({ client: redis, prefix, maxLogLimit: 10_000, timeoutMs: 2000 });
const d = (key: string, limit: number, windowMs = 2000, cost = 1): DescriptorInput => ({ key, limit, windowMs, cost, algorithm: 0 });
const redisNowMs = async () => {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Number(us) / 1000;
};

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describeLimiterBehaviour(
  "RedisRateLimiter",
  async () => ({ limiter, advance: (ms) => new Promise((r) => setTimeout(r, ms)), tolerance: 100 }),
);

describe("RedisRateLimiter on a real Redis", () => {
  it("sends its script calls outside ioredis's auto-pipelining, without touching other clients' options", async () => {
    const own = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
    const other = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true, lazyConnect: true });
    try {
      await own.ping();
      const l = new RedisRateLimiter({ client: own, prefix, maxLogLimit: 10, timeoutMs: 2000 });
      // ioredis shares one default ignore list between clients: the limiter must not add to it.
      expect(other.options.autoPipeliningIgnoredCommands).not.toContain("datahubRateLimitGroups");
      const check = l.check([[d("{ap}:a", 5)]]);
      expect(own.autoPipelineQueueSize).toBe(0);
      // Other commands on the same client still ride an auto-pipeline.
      const get = own.get(`${prefix}:nothing`);
      expect(own.autoPipelineQueueSize).toBe(1);
      expect((await check)[0]![0]).toMatchObject({ allowed: true, remaining: 4 });
      expect(await get).toBeNull();
    } finally {
      own.disconnect();
      other.disconnect();
    }
  });

  it("leaves a TTL on every key it touches: the time until its newest unit leaves the window", async () => {
    const w = 3000;
    await limiter.check([[d("{ttl}:a", 2, w), d("{ttl}:b", 5, w)]]);
    await new Promise((r) => setTimeout(r, 50));
    await limiter.check([[d("{ttl}:a", 2, w), d("{ttl}:b", 5, w)]]);
    await new Promise((r) => setTimeout(r, 50));
    const before = await redisNowMs();
    const [denied, refused] = (await limiter.check([[d("{ttl}:a", 2, w), d("{ttl}:b", 5, w)]]))[0]!;
    const after = await redisNowMs();
    expect(denied!.allowed).toBe(false);
    expect(refused!.allowed).toBe(true);
    const keys = await listKeys(redis, prefix);
    expect(keys).toEqual(expect.arrayContaining([`${prefix}:rl:{ttl}:a`, `${prefix}:rl:{ttl}:b`]));
    for (const k of keys) {
      const pttl = await redis.pttl(k);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(w);
    }
    // The TTL follows the newest unit; reset_after_ms the oldest (draft-11 `t`: more quota then).
    const key = `${prefix}:rl:{ttl}:a`;
    const scores = (await redis.zrange(key, 0, -1, "WITHSCORES")).filter((_, i) => i % 2 === 1).map((x) => Number(x) / 1000);
    // Bracketed by Redis's clock on both sides: a loaded machine may stall between the reads.
    const t0 = await redisNowMs();
    const pttl = await redis.pttl(key);
    const t1 = await redisNowMs();
    expect(pttl).toBeGreaterThanOrEqual(Math.floor(scores[1]! + w - t1) - 1);
    expect(pttl).toBeLessThanOrEqual(Math.ceil(scores[1]! + w - t0) + 1);
    expect(denied!.resetAfterMs).toBeGreaterThanOrEqual(Math.floor(scores[0]! + w - after));
    expect(denied!.resetAfterMs).toBeLessThanOrEqual(Math.ceil(scores[0]! + w - before));
  });

  it("computes retry_after_ms from the stored scores, exact to the millisecond", async () => {
    const k = "{retry}:a";
    const w = 5000;
    await limiter.check([[d(k, 3, w)]]);
    await new Promise((r) => setTimeout(r, 30));
    await limiter.check([[d(k, 3, w, 2)]]);
    const before = await redisNowMs();
    const x = (await limiter.check([[d(k, 3, w, 2)]]))[0]![0];
    const after = await redisNowMs();
    const scores = (await redis.zrange(`${prefix}:rl:${k}`, 0, -1, "WITHSCORES")).filter((_, i) => i % 2 === 1).map(Number);
    expect(scores).toHaveLength(3);
    // cost 2 over a full log of 3 needs the 2 oldest gone: the second-oldest entry's expiry
    const expiryMs = scores[1]! / 1000 + w;
    expect(x!.allowed).toBe(false);
    expect(x!.retryAfterMs).toBeGreaterThanOrEqual(Math.floor(expiryMs - after));
    expect(x!.retryAfterMs).toBeLessThanOrEqual(Math.ceil(expiryMs - before));
  });

  it("adds exactly `cost` unique members, even many at once", async () => {
    const k = `${prefix}:rl:{bulk}:a`;
    await limiter.check([[d("{bulk}:a", 5000, 5000, 1200)]]);
    await limiter.check([[d("{bulk}:a", 5000, 5000, 1)]]);
    expect(await redis.zcard(k)).toBe(1201);
  });

  it("never undercounts when two scripts see the same microsecond (members stay unique)", async () => {
    // The group script with TIME frozen: both runs get the same timestamp, so the second one's
    // first-choice members collide with the first one's and ZADD NX must move on to fresh names.
    const frozen = buildGroupScript([...ALGORITHMS.values()]).replace("redis.call('TIME')", "{ '1700000000', '123456' }");
    expect(frozen).toContain("{ '1700000000', '123456' }");
    const key = `${prefix}:rl:{frozen}:a`;
    // ARGV: 1 group of 1 descriptor: sliding log, limit 10, window 60 s, cost 3
    const run = () => redis.eval(frozen, 1, key, 1, 1, 1, 10, 60_000, 3) as Promise<number[]>;
    expect(await run()).toEqual([1, 10, 7, 60_000, 0]);
    expect(await run()).toEqual([1, 10, 4, 60_000, 0]);
    expect(await redis.zcard(key)).toBe(6);
    expect(new Set(await redis.zrange(key, 0, -1)).size).toBe(6);
    // Two groups on the same key in ONE call share the call's single TIME: same collision, same cure.
    const both = (await redis.eval(frozen, 2, key, key, 2, 1, 1, 10, 60_000, 2, 1, 1, 10, 60_000, 2)) as number[];
    expect(both).toEqual([1, 10, 2, 60_000, 0, 1, 10, 0, 60_000, 0]);
    expect(await redis.zcard(key)).toBe(10);
    expect(new Set(await redis.zrange(key, 0, -1)).size).toBe(10);
  });

  it("runs the groups of one script call in order, each all-or-nothing", async () => {
    // Three groups in one check: the second is refused as a whole (b is full) and consumes nothing
    // of a; the third, asking only for a, still sees a's one unit left.
    await limiter.check([[d("{ord}:b", 1)]]);
    const [g1, g2, g3] = await limiter.check([[d("{ord}:a", 3)], [d("{ord}:a", 3), d("{ord}:b", 1)], [d("{ord}:a", 3, 2000, 2)]]);
    expect(g1!.map((x) => x.allowed)).toEqual([true]);
    expect(g2!.map((x) => [x.allowed, x.remaining])).toEqual([[true, 2], [false, 0]]);
    expect(g3!.map((x) => [x.allowed, x.remaining])).toEqual([[true, 0]]);
    expect(await redis.zcard(`${prefix}:rl:{ord}:a`)).toBe(3);
  });

  it("splits a large batch into capped script calls and keeps the order across them", async () => {
    const n = MAX_GROUPS_PER_SCRIPT * 2 + 50;
    const limit = MAX_GROUPS_PER_SCRIPT + 10; // runs out inside the second call
    const out = await limiter.check(Array.from({ length: n }, (_, i) => (i % 2 ? [d("{big}:a", limit)] : [d(`{big${i}}:x`, 1)])));
    const onA = out.filter((_, i) => i % 2).map((g) => g[0]!.allowed);
    expect(onA.indexOf(false)).toBe(limit); // exactly the first `limit` requests on a were admitted
    expect(onA.slice(limit).every((x) => !x)).toBe(true);
    expect(out.filter((_, i) => i % 2 === 0).every((g) => g[0]!.allowed)).toBe(true);
    expect(await redis.zcard(`${prefix}:rl:{big}:a`)).toBe(limit);
  });

  it("counts many groups on one key in one call exactly (the sliding log writes them with one ZADD)", async () => {
    const w = 4000;
    const out = await limiter.check(Array.from({ length: 30 }, () => [d("{co}:a", 10, w)]));
    expect(out.map((g) => g[0]!.allowed)).toEqual([...Array(10).fill(true), ...Array(20).fill(false)]);
    expect(out.slice(0, 10).map((g) => g[0]!.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    // The log was empty: the oldest unit is one of this call's, so more quota comes back in a window.
    for (const g of out) expect(g[0]!.resetAfterMs).toBe(w);
    // A refusal reads the stored log: this call's buffered members are already there.
    for (const g of out.slice(10)) expect(g[0]!.retryAfterMs).toBeGreaterThan(w - 200);
    expect(await redis.zcard(`${prefix}:rl:{co}:a`)).toBe(10);
    const ttl = await redis.pttl(`${prefix}:rl:{co}:a`);
    expect(ttl).toBeGreaterThan(w - 500);
    expect(ttl).toBeLessThanOrEqual(w);
  });

  it("keeps one key used with two windows in one call consistent", async () => {
    const out = await limiter.check([[d("{co2}:a", 3, 1000)], [d("{co2}:a", 3, 5000)], [d("{co2}:a", 3, 1000)], [d("{co2}:a", 3, 1000)], [d("{co2}:a", 3, 1000)]]);
    expect(out.map((g) => g[0]!.allowed)).toEqual([true, true, true, false, false]);
    expect(await redis.zcard(`${prefix}:rl:{co2}:a`)).toBe(3);
  });

  it("admits exactly the limit under a concurrent burst", async () => {
    const calls = Array.from({ length: 300 }, () => limiter.check([[d("{burst}:a", 120)]]));
    const out = await Promise.all(calls);
    expect(out.filter((r) => r[0]![0]!.allowed)).toHaveLength(120);
    expect(await redis.zcard(`${prefix}:rl:{burst}:a`)).toBe(120);
  });
});

describe("RedisRateLimiter when Redis fails", () => {
  const { logger } = captureLogger("silent");

  it("fails fast with RateLimitUnavailableError when Redis is unreachable", async () => {
    const port = await freePort(); // nothing listens here
    const client = createRedis({ urls: [`redis://127.0.0.1:${port}`], cluster: false, name: "t", commandTimeoutMs: 50, options: { enableOfflineQueue: false } }, logger);
    const errors: Error[] = [];
    try {
      const rl = new RedisRateLimiter({ client, prefix, maxLogLimit: 100, timeoutMs: 70, onError: (e) => errors.push(e) });
      const started = Date.now();
      await expect(rl.check([[d("{down}:a", 5)], [d("{down}:b", 5)]])).rejects.toThrow(RateLimitUnavailableError);
      expect(Date.now() - started).toBeLessThan(100);
      expect(errors).toHaveLength(1); // both groups went in one script call, which failed once
    } finally {
      client.disconnect();
    }
  });

  it("fails within the command timeout when Redis stalls, and recovers when it answers again", async () => {
    const target = new URL(TEST_REDIS_URL);
    const proxy = await stallableProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const client = createRedis({ urls: [`redis://127.0.0.1:${proxy.port}`], cluster: false, name: "t", commandTimeoutMs: 50, options: { enableOfflineQueue: false } }, logger);
    try {
      await withTimeout(new Promise((r) => client.once("ready", r)), 2000);
      const errors: Error[] = [];
      const rl = new RedisRateLimiter({ client, prefix, maxLogLimit: 100, timeoutMs: 70, onError: (e) => errors.push(e) });
      expect((await rl.check([[d("{slow}:a", 5)]]))[0]![0]!.allowed).toBe(true);
      proxy.stall();
      const started = Date.now();
      await expect(rl.check([[d("{slow}:a", 5)]])).rejects.toThrow(RateLimitUnavailableError);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(45); // ioredis's 50 ms command timeout fired
      expect(took).toBeLessThan(250); // ...and nothing waited much longer (a loaded 2-core box adds some)
      expect(errors.length).toBeGreaterThan(0);
      proxy.resume();
      expect((await rl.check([[d("{slow}:b", 5)]]))[0]![0]!.allowed).toBe(true);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });
});
