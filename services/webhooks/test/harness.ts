import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import pg from "pg";
import { webhooks } from "@datahub/proto";
import { createRpcClient, startRunner, type Logger, type RpcClient, type Runner } from "@datahub/runtime";
import { createTestDatabase, testConfig, testEnv, TEST_REDIS_URL, uniqueSuffix, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import { webhooksModule } from "../src";
import type { WebhookMethods } from "../src/server";

/** Short timings so retries, sweeps and timeouts happen within a test. */
export const FAST_ENV: Record<string, string> = {
  DATAHUB_TARGET: "webhooks",
  DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8",
  DATAHUB_WEBHOOKS_RETRY_SCHEDULE: "100ms,200ms,300ms",
  DATAHUB_WEBHOOKS_SWEEP_MS: "200",
  DATAHUB_WEBHOOKS_SWEEP_OVERDUE_MS: "3000",
  DATAHUB_WEBHOOKS_TIMEOUT_MS: "2000",
  DATAHUB_WEBHOOKS_CONCURRENCY: "20",
};

/** A running webhooks service on its own database and Redis prefix, a typed client, a pool to inspect tables. */
export interface WebhooksHarness {
  runner: Runner;
  client: RpcClient<WebhookMethods>;
  pool: pg.Pool;
  databaseUrl: string;
  prefix: string;
  close(): Promise<void>;
}

/** Starts `webhooksModule` alone over real gRPC, Postgres and Redis. */
export async function startWebhooks(extra: Record<string, string> = {}, opts: { databaseUrl?: string; redisUrl?: string; logger?: Logger } = {}): Promise<WebhooksHarness> {
  const db = opts.databaseUrl ? undefined : await createTestDatabase();
  const url = opts.databaseUrl ?? db!.url;
  const prefix = `wh-${uniqueSuffix()}`;
  const env = await testEnv({
    databaseUrl: url,
    redisPrefix: prefix,
    extra: { ...FAST_ENV, WEBHOOKS_REDIS_URL: opts.redisUrl ?? TEST_REDIS_URL, ...extra },
  });
  const runner = await startRunner({ config: testConfig(env), modules: [webhooksModule], logger: opts.logger });
  const client = createRpcClient(webhooks.WebhookService, `127.0.0.1:${runner.ports.grpc}`, { timeoutMs: 10_000, credentials: TEST_CREDENTIALS });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => {});
  return {
    runner,
    client,
    pool,
    databaseUrl: url,
    prefix,
    async close() {
      client.close();
      await runner.stop();
      await pool.end();
      await db?.drop();
    },
  };
}

/** One request a receiver got. */
export interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

/** A local HTTP receiver; `respond` decides each answer (default 200). */
export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  respond: (req: Received, n: number) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (the tests allow 127.0.0.0/8 through the SSRF guard). */
export async function startReceiver(path = "/hook"): Promise<Receiver> {
  const r: Receiver = {
    url: "",
    port: 0,
    received: [],
    respond: () => ({ status: 200, body: "ok" }),
    close: async () => {},
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const got: Received = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      r.received.push(got);
      const a = r.respond(got, r.received.length);
      const send = () => {
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? "");
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  r.port = (server.address() as { port: number }).port;
  r.url = `http://127.0.0.1:${r.port}${path}`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

/** A fresh org id per test, so tests in one file never see each other's objects. */
export function newOrg(): string {
  return `org_${uniqueSuffix()}`;
}
