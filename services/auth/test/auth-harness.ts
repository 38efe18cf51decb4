/**
 * Integration harness: the auth module on its own runner (real gRPC, Postgres and Redis), with
 * its own database and Redis prefix, and a typed client.
 */
import { auth } from "@datahub/proto";
import { createRpcClient, generateApiKey, startRunner, type Config, type Logger, type Runner } from "@datahub/runtime";
import { captureLogger, createTestDatabase, testConfig, testEnv, uniqueSuffix, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import pg from "pg";
import { authModule } from "../src/module";

type AuthClient = ReturnType<typeof createAuthClient>;
const createAuthClient = (address: string) => createRpcClient(auth.AuthService, address, { timeoutMs: 2000, credentials: TEST_CREDENTIALS });

export interface AuthHarness {
  /** DATAHUB_ROOT_KEY given to the runner (undefined when the runner generated one). */
  rootKey?: string;
  db: { url: string; name: string; drop(): Promise<void> };
  config: Config;
  runner: Runner;
  client: AuthClient;
  /** Every log line of the runner. */
  logs: ReturnType<typeof captureLogger>;
  /** Direct SQL on the test database. */
  sql(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Stops the runner and starts a new one on the same database and config; `runner` and `client` follow. */
  restart(): Promise<Runner>;
  close(): Promise<void>;
}

/**
 * Starts auth on a fresh database; `env` adds or overrides environment variables. Unless
 * `generateRoot` is set, DATAHUB_ROOT_KEY is preset (`rootKey`) so nothing is printed.
 */
export async function startAuth(env: Record<string, string> = {}, opts: { generateRoot?: boolean } = {}): Promise<AuthHarness> {
  const db = await createTestDatabase();
  const rootKey = opts.generateRoot ? undefined : (env.DATAHUB_ROOT_KEY ?? generateApiKey("dhr"));
  const extra = { DATAHUB_TARGET: "auth", ...env, ...(rootKey ? { DATAHUB_ROOT_KEY: rootKey } : {}) };
  const config = testConfig(await testEnv({ databaseUrl: db.url, redisPrefix: `authtest_${uniqueSuffix()}`, extra }));
  const logs = captureLogger();
  const start = (logger: Logger) => startRunner({ config: { ...config, ports: { ...config.ports, grpc: 0, metrics: 0 } }, modules: [authModule], logger });
  let runner = await start(logs.logger);
  let client = createAuthClient(`127.0.0.1:${runner.ports.grpc}`);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", () => {}); // an idle client killed by the server must not crash the test process
  return {
    rootKey,
    db,
    config,
    get runner() {
      return runner;
    },
    get client() {
      return client;
    },
    logs,
    sql: async (text, params) => (await pool.query(text, params)).rows,
    async restart() {
      client.close(); // an open client would hold the gRPC drain until its timeout
      await runner.stop();
      runner = await start(logs.logger);
      client = createAuthClient(`127.0.0.1:${runner.ports.grpc}`);
      return runner;
    },
    async close() {
      client.close();
      await runner.stop();
      await pool.end();
      await db.drop();
    },
  };
}

/** Creates an org over gRPC and returns its id. */
export async function newOrg(h: AuthHarness, name = `org-${uniqueSuffix()}`): Promise<string> {
  return (await h.client.createOrg({ name })).org!.id;
}
