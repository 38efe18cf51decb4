/** Starts the ratelimit module alone (real Redis, real gRPC) with a grpc-js client, for the service's integration suites. */
import { ratelimit } from "@datahub/proto";
import { createRpcClient, startRunner, type Logger, type RpcClient, type Runner } from "@datahub/runtime";
import { testConfig, testEnv, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import { ratelimitModule } from "../src/index";

/** A typed client of RateLimitService. */
export type RateLimitClient = RpcClient<typeof ratelimit.RateLimitService.method>;

/**
 * Runs `DATAHUB_TARGET=ratelimit` under `prefix` with a roomy 1 s Redis command timeout: these
 * suites check semantics on a shared 2-core machine (failure suites set their own timeouts).
 */
export async function startRateLimitService(prefix: string, logger: Logger): Promise<{ runner: Runner; client: RateLimitClient }> {
  const env = await testEnv({
    databaseUrl: "postgres://postgres@127.0.0.1/unused",
    redisPrefix: prefix,
    extra: { DATAHUB_TARGET: "ratelimit", DATAHUB_RATELIMIT_REDIS_TIMEOUT_MS: "1000" },
  });
  const runner = await startRunner({ config: testConfig(env), modules: [ratelimitModule], logger });
  const client = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${runner.ports.grpc}`, { timeoutMs: 5000, credentials: TEST_CREDENTIALS });
  return { runner, client };
}
