/**
 * The limiter against a real 3-master Redis Cluster (started here, torn down after): every
 * algorithm, mixed groups, and batches whose groups live in many slots on every master, without a
 * CROSSSLOT error and with exact counts.
 */
import { Redis } from "ioredis";
import { ratelimit } from "@datahub/proto";
import { createRedis, createRpcClient, startRunner } from "@datahub/runtime";
import { captureLogger, testConfig, testEnv, uniqueSuffix, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import { Algorithm, RedisRateLimiter, ratelimitModule, type DescriptorInput } from "../src/index";
import { startCluster, type RedisCluster } from "./redis-servers";

let cluster: RedisCluster;
let client: ReturnType<typeof createRedis>;
let limiter: RedisRateLimiter;
const errors: Error[] = [];

beforeAll(async () => {
  const t = performance.now();
  cluster = await startCluster();
  expect(performance.now() - t).toBeLessThan(10_000);
  client = createRedis({ urls: cluster.urls, cluster: true, name: "cluster-test", commandTimeoutMs: 5000 }, captureLogger("warn").logger);
  // The module waits for `ready` the same way: before it, the client has no slot map.
  await new Promise<void>((r) => (client.status === "ready" ? r() : client.once("ready", () => r())));
  limiter = new RedisRateLimiter({ client, prefix: "rlcluster", maxLogLimit: 10_000, timeoutMs: 5000, onError: (e) => errors.push(e) });
}, 20_000);

afterAll(async () => {
  await client?.quit();
  await cluster?.stop();
});

const ALL = [Algorithm.SLIDING_LOG, Algorithm.GCRA, Algorithm.SLIDING_WINDOW, Algorithm.FIXED_WINDOW];
const d = (key: string, algorithm: Algorithm, limit: number): DescriptorInput => ({ key, limit, windowMs: 3_600_000, cost: 1, algorithm });

it("checks batches spread over every master, each group atomic in its slot, exactly, without CROSSSLOT", async () => {
  // 200 principals (hash tags), each with a group mixing all four algorithms; 5 rounds with limit 3.
  const groups = Array.from({ length: 200 }, (_, i) => ALL.map((a) => d(`{p${i}}:${a}`, a, 3)));
  const admitted = new Array<number>(groups.length).fill(0);
  for (let round = 0; round < 5; round++) {
    const out = await limiter.check(groups);
    out.forEach((g, i) => g.every((x) => x.allowed) && admitted[i]!++);
  }
  expect(admitted).toEqual(new Array<number>(groups.length).fill(3));
  expect(errors).toEqual([]);

  // The keys really are on all three masters.
  for (const node of cluster.nodes) {
    const r = new Redis({ port: node.port, host: "127.0.0.1" });
    expect(await r.dbsize()).toBeGreaterThan(50);
    r.disconnect();
  }
}, 20_000);

it("refuses a group that spans slots before Redis sees it (instead of a CROSSSLOT error)", async () => {
  await expect(limiter.check([[d("{a}:x", Algorithm.GCRA, 3), d("{b}:x", Algorithm.GCRA, 3)]])).rejects.toThrow(/same \{hash tag\}/);
});

it("serves CheckBatch from the ratelimit module configured with the cluster's nodes (RATELIMIT_REDIS_URL list)", async () => {
  const env = await testEnv({ databaseUrl: "postgres://postgres@127.0.0.1/unused", redisPrefix: `rlc${uniqueSuffix()}`, extra: { DATAHUB_TARGET: "ratelimit", RATELIMIT_REDIS_URL: cluster.urls.join(","), REDIS_CLUSTER: "true", DATAHUB_RATELIMIT_DEFAULT_ALGORITHM: "gcra" } });
  const runner = await startRunner({ config: testConfig(env), modules: [ratelimitModule], logger: captureLogger("warn").logger });
  const rpc = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${runner.ports.grpc}`, { timeoutMs: 5000, credentials: TEST_CREDENTIALS });
  try {
    const req = { requests: Array.from({ length: 50 }, (_, i) => ({ descriptors: [{ key: `{m${i}}:a`, limit: 2n, windowMs: 60_000n, cost: 1n }, { key: `{m${i}}:b`, limit: 5n, windowMs: 60_000n, cost: 1n, algorithm: ratelimit.Algorithm.SLIDING_LOG }] })) };
    const rounds = [];
    for (let r = 0; r < 3; r++) rounds.push((await rpc.checkBatchStream(req)).responses.filter((g) => g.decisions.every((x) => x.allowed)).length);
    expect(rounds).toEqual([50, 50, 0]);
    expect(await runner.health.report()).toMatchObject({ ready: true, checks: { "ratelimit-redis": true } });
  } finally {
    rpc.close();
    await runner.stop();
  }
}, 20_000);
