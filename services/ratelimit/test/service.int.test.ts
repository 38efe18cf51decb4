import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { Redis } from "ioredis";
import { ratelimit } from "@datahub/proto";
import { createRpcClient, startRunner, type RpcClient, type Runner } from "@datahub/runtime";
import { captureLogger, freePort, testConfig, testEnv, TEST_REDIS_URL, uniqueSuffix, TEST_CREDENTIALS, testMetadata } from "@datahub/runtime/testing";
import { ratelimitModule } from "../src/index";
import { startRateLimitService } from "./service-harness";
import { deleteKeys } from "./redis-helpers";

type Client = RpcClient<typeof ratelimit.RateLimitService.method>;
const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));
const prefix = `rltest${uniqueSuffix()}`;
const redis = new Redis(TEST_REDIS_URL);
const { logger } = captureLogger("warn");
let runner: Runner;
let client: Client;

const desc = (key: string, limit: number, windowMs = 60_000, cost = 1, algorithm = ratelimit.Algorithm.UNSPECIFIED) => ({
  key,
  limit: BigInt(limit),
  windowMs: BigInt(windowMs),
  cost: BigInt(cost),
  algorithm,
});
/** The gRPC status code and details of a failed call. */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: -1, details: "no error" }),
    (e: grpc.ServiceError) => ({ code: e.code, details: e.details }),
  );

beforeAll(async () => {
  // A roomy command timeout here; the failure suite below runs with the production default.
  ({ runner, client } = await startRateLimitService(prefix, logger));
});

afterAll(async () => {
  client.close();
  await runner.stop();
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

describe("RateLimitService over gRPC", () => {
  it("admits exactly the limit under a burst of 100 Check RPCs and a 100-group CheckBatch at once", async () => {
    const key = "{burst}:k";
    const checks = Array.from({ length: 100 }, () => client.check({ descriptors: [desc(key, 50)] }));
    const batch = client.checkBatchStream({ requests: Array.from({ length: 100 }, () => ({ descriptors: [desc(key, 50)] })) });
    const [singles, batched] = await Promise.all([Promise.all(checks), batch]);
    const all = [...singles, ...batched.responses].map((r) => r.decisions[0]!);
    expect(all).toHaveLength(200);
    expect(all.filter((d) => d.allowed)).toHaveLength(50);
    expect(await redis.zcard(`${prefix}:rl:${key}`)).toBe(50);
    const denied = all.find((d) => !d.allowed)!;
    expect(denied.remaining).toBe(0n);
    expect(denied.retryAfterMs).toBeGreaterThan(0n);
  });

  it("keeps a group atomic and reports each descriptor's own decision, in order", async () => {
    const group = { descriptors: [desc("{grp}:loose", 10), desc("{grp}:tight", 1)] };
    const first = await client.check(group);
    expect(first.decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 9n], [true, 0n]]);
    const second = await client.check(group);
    expect(second.decisions.map((d) => [d.allowed, d.remaining, d.limit])).toEqual([[true, 9n, 10n], [false, 0n, 1n]]);
    expect(await redis.zcard(`${prefix}:rl:{grp}:loose`)).toBe(1);
  });

  it("answers INVALID_ARGUMENT naming the field, for Check and for CheckBatch", async () => {
    const cases: Array<[Promise<unknown>, string]> = [
      [client.check({ descriptors: [desc("{v}:a", 0)] }), "descriptors[0].limit: must be a positive integer, got 0"],
      [client.check({ descriptors: [desc("{v}:a", 5, 0)] }), "descriptors[0].window_ms: must be an integer from 1 to 604800000 (7 days), got 0"],
      [client.check({ descriptors: [desc("{v}:a", 5, 8 * 86_400_000)] }), "descriptors[0].window_ms: must be an integer from 1 to 604800000 (7 days), got 691200000"],
      [client.check({ descriptors: [desc("", 5)] }), "descriptors[0].key: must not be empty"],
      [client.check({ descriptors: [desc("k".repeat(513), 5)] }), "descriptors[0].key: must be at most 512 bytes, got 513"],
      [client.check({ descriptors: [desc("{v}:a", 5, 1000, 6)] }), "descriptors[0].cost: must not exceed limit (5), got 6"],
      [client.check({ descriptors: [desc("{v}:a", 10_001)] }), "descriptors[0].limit: must be at most 10000 for sliding-log (memory grows with the limit), got 10001"],
      [client.check({ descriptors: [desc("{v}:a", 2n ** 64n - 1n as never)] }), "descriptors[0].limit: must be a positive integer, got 18446744073709552000"],
      [client.check({ descriptors: [] }), "descriptors: at least one descriptor is required"],
      [client.check({ descriptors: Array.from({ length: 17 }, (_, i) => desc(`{v}:${i}`, 5)) }), "descriptors: at most 16 descriptors per request, got 17"],
      [client.check({ descriptors: [desc("{v}:a", 5, 1000, 1, 7 as ratelimit.Algorithm)] }), "descriptors[0].algorithm: unknown (7) is not an algorithm"],
      [client.checkBatchStream({ requests: Array.from({ length: 5001 }, () => ({ descriptors: [desc("{v}:a", 5)] })) }), "requests: at most 5000 groups per batch, got 5001"],
    ];
    for (const [call, details] of cases) expect(await failure(call)).toEqual({ code: grpc.status.INVALID_ARGUMENT, details });
    // Nothing of a rejected batch was consumed.
    expect(await redis.exists(`${prefix}:rl:{v}:a`)).toBe(0);
  });

  it("answers an invalid group of a CheckBatch as invalid and still decides the others", async () => {
    const res = await client.checkBatchStream({
      requests: [{ descriptors: [desc("{vb}:a", 5)] }, { descriptors: [desc("{vb}:b", 5, 0)] }, { descriptors: [desc("{vb}:c", 10_001)] }, { descriptors: [desc("{vb}:a", 5)] }],
    });
    expect(res.responses.map((r) => [r.decisions.map((d) => [d.allowed, Number(d.remaining)]), r.invalid])).toEqual([
      [[[true, 4]], ""],
      [[], "descriptors[0].window_ms: must be an integer from 1 to 604800000 (7 days), got 0"],
      [[], "descriptors[0].limit: must be at most 10000 for sliding-log (memory grows with the limit), got 10001"],
      [[[true, 3]], ""],
    ]);
    // Nothing was consumed for the invalid groups, and the valid ones were counted once.
    expect(await redis.exists(`${prefix}:rl:{vb}:b`, `${prefix}:rl:{vb}:c`)).toBe(0);
    expect(await redis.zcard(`${prefix}:rl:{vb}:a`)).toBe(2);
  });

  it("rejects a group whose keys live in different Redis Cluster slots", async () => {
    const res = await failure(client.check({ descriptors: [desc("{alice}:a", 5), desc("{bob}:a", 5)] }));
    expect(res.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(res.details).toMatch(/^descriptors\[1\]\.key: maps to Redis Cluster slot \d+ but descriptors\[0\]\.key to slot \d+/);
  });

  it("counts decisions per group and reports Redis in readiness", async () => {
    await client.checkBatchStream({ requests: [{ descriptors: [desc("{m}:a", 1)] }, { descriptors: [desc("{m}:a", 1)] }] });
    const text = await (await fetch(`http://127.0.0.1:${runner.ports.metrics}/metrics`)).text();
    expect(text).toMatch(/^datahub_ratelimit_decisions_total\{decision="allowed"\} [1-9]\d*$/m);
    expect(text).toMatch(/^datahub_ratelimit_decisions_total\{decision="denied"\} [1-9]\d*$/m);
    expect(text).toMatch(/^datahub_ratelimit_redis_errors_total 0$/m);
    expect(await runner.health.report()).toMatchObject({ ready: true, checks: { "ratelimit-redis": true } });
  });
});

describe("the fixed gRPC contract: a plain @grpc/grpc-js client built from the .proto", () => {
  it("calls datahub.ratelimit.v1.RateLimitService/Check with snake_case fields", async () => {
    const def = loadSync("datahub/ratelimit/v1/ratelimit.proto", { includeDirs: [PROTO_ROOT], keepCase: true, longs: Number, enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      datahub: { ratelimit: { v1: { RateLimitService: new (addr: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, Function> } } };
    };
    const plain = new pkg.datahub.ratelimit.v1.RateLimitService(`127.0.0.1:${runner.ports.grpc}`, grpc.credentials.createInsecure());
    const call = (req: unknown) =>
      new Promise<{ decisions: Array<Record<string, unknown>> }>((resolve, reject) =>
        plain.Check!(req, testMetadata(), { deadline: Date.now() + 5000 }, (err: Error | null, res: never) => (err ? reject(err) : resolve(res))),
      );
    const req = { descriptors: [{ key: "{contract}:a", limit: 2, window_ms: 60_000, cost: 0, algorithm: "ALGORITHM_SLIDING_LOG" }] };
    const first = await call(req);
    expect(first.decisions).toEqual([{ allowed: true, limit: 2, remaining: 1, reset_after_ms: 60_000, retry_after_ms: 0 }]);
    await call(req);
    const third = await call(req);
    expect(third.decisions[0]).toMatchObject({ allowed: false, limit: 2, remaining: 0 });
    expect(third.decisions[0]!.retry_after_ms as number).toBeGreaterThan(59_000);
    plain.close();
  });
});

describe("RateLimitService when Redis is unreachable", () => {
  it("answers UNAVAILABLE within about the command timeout, reports not ready, and stays up", async () => {
    const env = await testEnv({
      databaseUrl: "postgres://postgres@127.0.0.1/unused",
      redisPrefix: prefix,
      extra: { DATAHUB_TARGET: "ratelimit", RATELIMIT_REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
    });
    const config = testConfig(env);
    expect(config.ratelimit.redisTimeoutMs).toBe(50); // the production default
    const down = await startRunner({ config, modules: [ratelimitModule], logger });
    const c = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${down.ports.grpc}`, { timeoutMs: 5000, credentials: TEST_CREDENTIALS });
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await failure(c.check({ descriptors: [desc("{down}:a", 5)] }));
        expect(res.code).toBe(grpc.status.UNAVAILABLE);
        expect(res.details).toMatch(/^rate limit store unavailable/);
        expect(Date.now() - started).toBeLessThan(300); // 50 ms command timeout + loopback gRPC on a loaded box
      }
      expect((await fetch(`http://127.0.0.1:${down.ports.metrics}/readyz`)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${down.ports.metrics}/healthz`)).status).toBe(200);
      const text = await (await fetch(`http://127.0.0.1:${down.ports.metrics}/metrics`)).text();
      expect(text).toMatch(/^datahub_ratelimit_redis_errors_total [3-9]\d*$/m);
      // Bad input is still reported as such, not as an outage.
      expect((await failure(c.check({ descriptors: [desc("{down}:a", 0)] }))).code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      c.close();
      await down.stop();
    }
  });
});
