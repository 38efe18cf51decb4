/**
 * Integration harness for the edge: a runner with the REAL auth, ratelimit and audit services
 * (gRPC over loopback, PostgreSQL, Redis) plus the edge, on its own database, Redis prefix and
 * ports; an upstream node:http server on 127.0.0.1 that records what it sees; keys made over
 * auth's gRPC API (so these tests do not depend on the /v1 API).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { auth } from "@datahub/proto";
import { createRpcClient, generateApiKey, loadConfig, startRunner, type DatahubModule, type Logger, type Runner } from "@datahub/runtime";
import { captureLogger, createTestDatabase, freePort, testEnv, uniqueSuffix, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import { authModule } from "@datahub/auth";
import { ratelimitModule } from "@datahub/ratelimit";
import { auditModule } from "@datahub/audit";
import { webhooksModule } from "@datahub/webhooks";
import pg from "pg";
import { request } from "undici";
import { edgeModule } from "../../src/index";

/** What the upstream saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** A recording upstream. Paths: `/slow/*` never answers in time, `/reset/*` cuts the connection. */
export interface Upstream {
  url: string;
  seen: Seen[];
  server: Server;
  close(): Promise<void>;
}

/** Starts the upstream; `/slow` waits `slowMs`, `/reset` destroys the socket, anything else echoes. */
export async function startUpstream(slowMs = 2000): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      if (s.url.includes("/reset")) return req.socket.destroy();
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes", "x-frame-options": "DENY", connection: "keep-alive" });
        res.end(JSON.stringify({ path: s.url, method: s.method, bodyBytes: s.body.length }));
      };
      if (s.url.includes("/slow")) setTimeout(answer, slowMs).unref();
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    server,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Writes a datahub.yaml into a temp dir. */
export function writeRoutes(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "edge-int-")), "datahub.yaml");
  writeFileSync(path, yaml);
  return path;
}

type AuthClient = ReturnType<typeof authClientAt>;
const authClientAt = (address: string) => createRpcClient(auth.AuthService, address, { timeoutMs: 3000, credentials: TEST_CREDENTIALS });

/** A running edge with real services. */
export interface EdgeStack {
  runner: Runner;
  edgeUrl: string;
  metricsUrl: string;
  grpcAddress: string;
  auth: AuthClient;
  databaseUrl: string;
  routesPath: string;
  env: Record<string, string>;
  /** Every log line of the runner(s). */
  logs(): string;
  /** Creates an org and a key; returns the key and its ids. */
  createKey(opts?: { scopes?: string[]; expiresAtMs?: number; rateLimit?: { limit: number; windowSeconds: number } }): Promise<{ key: string; id: string; orgId: string }>;
  /** Rows of audit.request_logs for a request id. */
  logRows(requestId: string): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

/** Options for {@link startEdgeStack}. */
export interface EdgeStackOptions {
  routes: string;
  env?: Record<string, string>;
  /**
   * `all`: one runner with edge, auth, ratelimit and audit. `split`: the services in one runner
   * and the edge in another (so a test can stop the services under a live edge).
   */
  mode?: "all" | "split";
  /** Also run the real webhooks service (its SSRF guard, its validation of event data). */
  webhooks?: boolean;
}

const SERVICES: DatahubModule[] = [authModule, ratelimitModule, auditModule];

/** Starts the stack; `stop()` stops every runner and drops the database. */
export async function startEdgeStack(opts: EdgeStackOptions): Promise<EdgeStack & { services: Runner }> {
  const db = await createTestDatabase();
  const routesPath = writeRoutes(opts.routes);
  const modules = opts.webhooks ? [...SERVICES, webhooksModule] : SERVICES;
  const serviceTargets = modules.map((m) => m.name).join(",");
  const env = await testEnv({
    databaseUrl: db.url,
    redisPrefix: `edgetest${uniqueSuffix()}`,
    extra: { DATAHUB_CONFIG: routesPath, DATAHUB_TARGET: `edge,${serviceTargets}`, DATAHUB_ROOT_KEY: generateApiKey("dhr"), ...opts.env },
  });
  const capture = captureLogger("info");
  const logger = capture.logger as Logger;
  let services: Runner;
  let edge: Runner;
  if (opts.mode === "split") {
    services = await startRunner({ config: loadConfig({ ...env, DATAHUB_TARGET: serviceTargets }), modules, logger });
    const grpc = `127.0.0.1:${services.ports.grpc}`;
    const metricsPort = String(await freePort());
    edge = await startRunner({
      config: loadConfig({ ...env, DATAHUB_TARGET: "edge", DATAHUB_METRICS_PORT: metricsPort, DATAHUB_AUTH_ADDR: grpc, DATAHUB_RATELIMIT_ADDR: grpc, DATAHUB_AUDIT_ADDR: grpc, DATAHUB_WEBHOOKS_ADDR: grpc }),
      modules: [edgeModule],
      logger,
    });
  } else {
    edge = await startRunner({ config: loadConfig(env), modules: [...modules, edgeModule], logger });
    services = edge;
  }
  const grpcAddress = `127.0.0.1:${services.ports.grpc}`;
  const authClient = authClientAt(grpcAddress);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  return {
    runner: edge,
    services,
    edgeUrl: `http://127.0.0.1:${edge.modules.get("edge")!.info!.port as number}`,
    metricsUrl: `http://127.0.0.1:${edge.ports.metrics}`,
    grpcAddress,
    auth: authClient,
    databaseUrl: db.url,
    routesPath,
    env,
    logs: capture.text,
    async createKey(o = {}) {
      const org = (await authClient.createOrg({ name: `org-${uniqueSuffix()}` })).org!;
      const res = await authClient.createKey({
        orgId: org.id,
        name: "edge test",
        scopes: o.scopes ?? ["*"],
        expiresAt: o.expiresAtMs ? timestampFromMs(o.expiresAtMs) : undefined,
        rateLimit: o.rateLimit ? { limit: BigInt(o.rateLimit.limit), windowSeconds: BigInt(o.rateLimit.windowSeconds), algorithm: "" } : undefined,
      });
      return { key: res.key, id: res.apiKey!.id, orgId: org.id };
    },
    logRows: async (requestId) => (await pool.query("SELECT * FROM audit.request_logs WHERE request_id = $1", [requestId])).rows,
    async stop() {
      authClient.close();
      await pool.end();
      await edge.stop();
      if (services !== edge) await services.stop();
      await db.drop();
    },
  };
}

/** One HTTP exchange with the edge (undici, no automatic headers beyond the basics). */
export async function send(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; headers?: Record<string, string>; body?: string | Buffer | AsyncIterable<Buffer> } = {},
): Promise<{ status: number; headers: Record<string, string>; text: string; json: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  const res = await request(base + path, { method: method as "GET", headers, body: opts.body as string | undefined });
  const text = await res.body.text();
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(", ") : String(v);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: flat, text, json };
}

/** The value of a counter/gauge sample in Prometheus text, or 0. */
export async function metricValue(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Sends raw bytes (for requests HTTP clients normalise away) and returns the status and the raw answer. */
export async function rawRequest(base: string, text: string): Promise<{ status: number; raw: string }> {
  const { connect } = await import("node:net");
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.write(text));
    let raw = "";
    socket.on("data", (d: Buffer) => {
      raw += d.toString("latin1");
      // One answer is enough: headers plus a Content-Length body.
      const end = raw.indexOf("\r\n\r\n");
      const cl = /content-length: (\d+)/i.exec(raw);
      if (end !== -1 && cl && raw.length >= end + 4 + Number(cl[1])) socket.end();
    });
    socket.on("end", () => resolve({ status: Number(raw.slice(9, 12)), raw }));
    socket.on("error", reject);
  });
}
