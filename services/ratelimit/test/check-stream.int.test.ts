/**
 * CheckBatchStream: batches on the exchange protocol, multiplexed over one bidi stream (runtime's
 * grpc/exchange/), over the real gRPC wire. First against the real
 * ratelimit module and Redis (semantics), then against a GrpcHost with a controllable handler
 * (deadlines, graceful shutdown, reconnection, rotation).
 */
import { Redis } from "ioredis";
import { credentials, makeGenericClientConstructor, type ClientDuplexStream, type Metadata } from "@grpc/grpc-js";
import { ratelimit } from "@datahub/proto";
import {
  createMetricsRegistry,
  bearerInterceptor,
  createRpcClient,
  ExchangeError,
  grpcServiceDefinition,
  GrpcHost,
  GrpcStatus,
  ExchangeClient,
  RpcError,
  type Runner,
} from "@datahub/runtime";
import { captureLogger, eventually, freePort, TEST_CREDENTIALS, TEST_INTERNAL_TOKEN, TEST_REDIS_URL, uniqueSuffix } from "@datahub/runtime/testing";
import { startRateLimitService, type RateLimitClient } from "./service-harness";
import { deleteKeys } from "./redis-helpers";

type Client = RateLimitClient;
const prefix = `rlstream${uniqueSuffix()}`;
const redis = new Redis(TEST_REDIS_URL);
const { logger } = captureLogger("warn");

const desc = (key: string, limit: number, windowMs = 60_000) => ({ key, limit: BigInt(limit), windowMs: BigInt(windowMs), cost: 1n, algorithm: ratelimit.Algorithm.UNSPECIFIED });
/** The gRPC code an exchange failed with (-1 when it succeeded). */
const codeOf = (p: Promise<unknown>) => p.then(() => -1, (e: ExchangeError) => e.code);

describe("CheckBatchStream against the ratelimit service and Redis", () => {
  let runner: Runner;
  let client: Client;

  beforeAll(async () => {
    ({ runner, client } = await startRateLimitService(prefix, logger));
  });

  afterAll(async () => {
    client.close();
    await runner.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it("answers each of 100 concurrent exchanges with its own batch's decisions and admits exactly the limit", async () => {
    // Exchange i asks for key i's limit of i + 1 twice; a mixed-up answer would show the wrong limit.
    const sends = Array.from({ length: 100 }, (_, i) =>
      client.checkBatchStream({ requests: [{ descriptors: [desc(`{s${i}}:k`, i + 1)] }, { descriptors: [desc("{shared}:k", 30)] }] }),
    );
    const answers = await Promise.all(sends);
    answers.forEach((a, i) => {
      expect(a.responses).toHaveLength(2);
      expect(a.responses[0]!.decisions[0]!.limit).toBe(BigInt(i + 1));
    });
    const shared = answers.map((a) => a.responses[1]!.decisions[0]!);
    expect(shared.filter((d) => d.allowed)).toHaveLength(30);
    expect(await redis.zcard(`${prefix}:rl:{shared}:k`)).toBe(30);
  });

  it("answers a batch refused as a whole with its error code, and the exchanges beside it normally", async () => {
    const tooMany = { requests: Array.from({ length: 5001 }, () => ({ descriptors: [desc("{big}:k", 5)] })) };
    const [bad, good] = await Promise.allSettled([client.checkBatchStream(tooMany), client.checkBatchStream({ requests: [{ descriptors: [desc("{ok}:k", 5)] }] })]);
    expect(bad.status).toBe("rejected");
    const err = (bad as PromiseRejectedResult).reason as ExchangeError;
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.message).toBe("3 INVALID_ARGUMENT: requests: at most 5000 groups per batch, got 5001");
    expect((good as PromiseFulfilledResult<ratelimit.CheckBatchResponse>).value.responses[0]!.decisions[0]!.allowed).toBe(true);
    expect(await redis.exists(`${prefix}:rl:{big}:k`)).toBe(0);
    // Counted like the unary call would be, so error-rate alerts see exchanges too.
    const handled = await runner.registry.getSingleMetricAsString("datahub_grpc_server_handled_total");
    expect(handled).toMatch(/method="CheckBatchStream",code="INVALID_ARGUMENT"\} 1\b/);
  });

  it("answers an invalid group inside a batch as invalid and still decides the others", async () => {
    const res = await client.checkBatchStream({ requests: [{ descriptors: [desc("{inv}:a", 0)] }, { descriptors: [desc("{inv}:b", 5)] }] });
    expect(res.responses[0]!.invalid).toBe("descriptors[0].limit: must be a positive integer, got 0");
    expect(res.responses[1]!.decisions[0]!.allowed).toBe(true);
  });
});

describe("exchange streams: deadlines, shutdown, reconnection, rotation", () => {
  /** Groups whose first key is "{hold}" wait until released; the rest answer at once. */
  let held: Array<() => void> = [];
  const answer = (batch: ratelimit.CheckBatchRequest) => ({
    responses: batch.requests.map((r) => ({ decisions: r.descriptors.map((d) => ({ allowed: true, limit: d.limit, remaining: d.limit })) })),
  });
  const impl = {
    check: async () => {
      throw new RpcError(GrpcStatus.UNIMPLEMENTED, "not here");
    },
    checkBatchStream: async (batch: ratelimit.CheckBatchRequest) => {
      if (batch.requests[0]?.descriptors[0]?.key.startsWith("{hold}")) await new Promise<void>((resolve) => held.push(resolve));
      return answer(batch);
    },
  };
  const batchOf = (key: string) => ({ requests: [{ descriptors: [desc(key, 7)] }] });
  let port: number;
  let host: GrpcHost;
  const start = async () => {
    host = new GrpcHost(logger, createMetricsRegistry(), { callers: { tokens: [TEST_INTERNAL_TOKEN] } });
    host.addService(ratelimit.RateLimitService, impl);
    await host.listen("127.0.0.1", port);
  };

  beforeAll(async () => {
    port = await freePort();
    await start();
  });
  afterAll(async () => {
    held.forEach((r) => r());
    await host.shutdown(1000);
  });

  it("fails only the exchange that outlives its deadline, with DEADLINE_EXCEEDED", async () => {
    const client = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${port}`, { timeoutMs: 5000, credentials: TEST_CREDENTIALS });
    try {
      const slow = codeOf(client.checkBatchStream(batchOf("{hold}:a"), { timeoutMs: 150 }));
      const fast = await client.checkBatchStream(batchOf("{fast}:a"));
      expect(fast.responses[0]!.decisions[0]!.limit).toBe(7n);
      expect(await slow).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    } finally {
      held.forEach((r) => r());
      held = [];
      client.close();
    }
  });

  it("answers what is in flight when the server shuts down, fails fast while it is gone, and reconnects when it is back", async () => {
    const client = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${port}`, { timeoutMs: 3000, credentials: TEST_CREDENTIALS });
    try {
      const inFlight = client.checkBatchStream(batchOf("{hold}:b"));
      await eventually(() => held.length === 1);
      const stopping = host.shutdown(5000);
      held.forEach((r) => r());
      held = [];
      // The exchange read before the drain is answered, and the drain does not wait for the 5 s budget.
      expect((await inFlight).responses).toHaveLength(1);
      const t0 = Date.now();
      await stopping;
      expect(Date.now() - t0).toBeLessThan(2000);
      const whileDown = await codeOf(client.checkBatchStream(batchOf("{down}:a")));
      expect(whileDown).toBe(GrpcStatus.UNAVAILABLE);
      await start();
      await eventually(async () => (await codeOf(client.checkBatchStream(batchOf("{back}:a")))) === -1, 10_000);
    } finally {
      client.close();
    }
  });

  it("moves new exchanges to a fresh stream when the old one is older than rotateMs, losing none", async () => {
    const Ctor = makeGenericClientConstructor(grpcServiceDefinition(ratelimit.RateLimitService), ratelimit.RateLimitService.typeName);
    const raw = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure(), { interceptors: [bearerInterceptor(TEST_INTERNAL_TOKEN)] }) as unknown as Record<string, (md: Metadata) => ClientDuplexStream<unknown, unknown>>;
    let opened = 0;
    // rotateMs 0: every exchange opens a fresh stream and half-closes the previous one.
    const exchange = new ExchangeClient<ReturnType<typeof batchOf>, ratelimit.CheckBatchResponse>({
      open: (md: Metadata) => {
        opened++;
        return raw.checkBatchStream!(md);
      },
      timeoutMs: 3000,
      rotateMs: 0,
    });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange.call(batchOf(`{rot${i}}:a`))));
      expect(answers.map((a) => a.responses[0]!.decisions[0]!.allowed)).toEqual(Array(20).fill(true));
      expect(opened).toBe(20);
      expect(exchange.inFlight).toBe(0);
    } finally {
      exchange.close();
      (raw as unknown as { close(): void }).close();
    }
  });
});
