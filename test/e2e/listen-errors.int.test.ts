/**
 * A port `datahub start` cannot bind stops start-up loudly (README, "Configuration"): exit code 1
 * and one line naming the variable, the address and the reason, within seconds, for each of the
 * three listeners, in `all` mode (the gRPC port is bound on the services thread there) and in a
 * split target. The shutdown delay and timeout are a minute each: a failed start waits for
 * neither (the bound below is start-up time on a busy machine, far under either).
 */
import { createServer, type Server } from "node:net";
import { generateApiKey } from "@datahub/runtime";
import { createTestDatabase, testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import { runDatahubToExit } from "../support/stack";

type PortVariable = "DATAHUB_EDGE_PORT" | "DATAHUB_GRPC_PORT" | "DATAHUB_METRICS_PORT";

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const cases: Array<[PortVariable, string]> = [
  ["DATAHUB_EDGE_PORT", "all"],
  ["DATAHUB_GRPC_PORT", "all"],
  ["DATAHUB_METRICS_PORT", "all"],
  ["DATAHUB_EDGE_PORT", "edge"],
  ["DATAHUB_GRPC_PORT", "auth,ratelimit,audit,webhooks"],
  ["DATAHUB_METRICS_PORT", "edge"],
];

it.each(cases)("%s in use with DATAHUB_TARGET=%s: one line naming it, exit 1", async (variable, target) => {
  const env = await testEnv({
    databaseUrl: db.url,
    redisPrefix: `dht${uniqueSuffix()}`,
    extra: { DATAHUB_ROOT_KEY: generateApiKey("dhr"), DATAHUB_TARGET: target, DATAHUB_SHUTDOWN_DELAY_MS: "60000", DATAHUB_SHUTDOWN_TIMEOUT_MS: "60000", LOG_LEVEL: "warn" },
  });
  const port = Number(env[variable]);
  const taken = await occupy(port);
  try {
    const { code, output, ms } = await runDatahubToExit(env, 40000);
    process.stdout.write(`${variable} taken, DATAHUB_TARGET=${target}: exit ${code} after ${ms} ms\n`);
    expect(output.trimEnd().split("\n")).toEqual([`datahub: ${variable}: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`]);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(20000);
  } finally {
    taken.close();
  }
}, 60000);
