/**
 * Starts and stops DataHub for the bench exactly as a user would: `datahub migrate` and
 * `datahub start` from packages/cli, a fresh database, its own Redis prefix, a generated root
 * key, a datahub.yaml with one rate-limited, scope-protected route, and an org and key created
 * through the real HTTP API.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { generateApiKey } from "@datahub/runtime";
import { freePort, localPgBaseUrl, uniqueSuffix } from "@datahub/runtime/testing";
import { spawnChild, type BenchChild } from "./children";

/** packages/cli/bin/datahub.js (or BENCH_DATAHUB_CLI), run with this Node.js binary. */
export const CLI = process.env.BENCH_DATAHUB_CLI ?? fileURLToPath(new URL("../packages/cli/bin/datahub.js", import.meta.url));
const REPO = fileURLToPath(new URL("..", import.meta.url));
// BENCH_PG_URL, else the server of .datahub.env's DATABASE_URL (a password-protected local install).
const PG_BASE = localPgBaseUrl("BENCH_PG_URL");

/** The route name in the bench's datahub.yaml (the `route` label of the edge's metrics). */
export const BENCH_ROUTE = "bench";
/** The scope the bench route requires and the bench key holds. */
export const BENCH_SCOPE = "bench:read";

/** Everything one bench run of DataHub shares: database, Redis prefix, root key, config file. */
export interface StackEnv {
  suffix: string;
  databaseName: string;
  databaseUrl: string;
  redisPrefix: string;
  rootKey: string;
  configDir: string;
  /** Environment common to every DataHub process of this run. */
  baseEnv: NodeJS.ProcessEnv;
  /** Drops the database and removes the config dir. */
  cleanup(): Promise<void>;
}

/** A running DataHub deployment (one or more processes). */
export interface RunningStack {
  edgeUrl: string;
  /** /metrics URL of the process that runs the edge. */
  edgeMetricsUrl: string;
  /** host:port of the gRPC server of the process that runs the services (all in one only). */
  grpcAddr?: string;
  processes: BenchChild[];
  stop(): Promise<void>;
}

/** True once the lead's CLI exists (the bench checks this before the DataHub rows). */
export function cliAvailable(): boolean {
  return existsSync(CLI);
}

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * Creates the database `datahub_bench_<suffix>`, a root key and a datahub.yaml routing `/` to
 * `upstreamUrl` with a Redis-backed sliding-log limit that does not trip at bench rates.
 */
export async function prepareStackEnv(upstreamUrl: string): Promise<StackEnv> {
  const suffix = uniqueSuffix();
  const databaseName = `datahub_bench_${suffix}`;
  await adminQuery(`CREATE DATABASE ${databaseName}`);
  const configDir = await mkdtemp(join(tmpdir(), "datahub-bench-"));
  const configPath = join(configDir, "datahub.yaml");
  await writeFile(
    configPath,
    [
      "routes:",
      `  - name: ${BENCH_ROUTE}`,
      "    path: /",
      `    upstream: ${upstreamUrl}`,
      `    scopes: [${BENCH_SCOPE}]`,
      // Never trips: the pipeline runs at well under 100,000 requests/s here. The sliding log's
      // memory and cost follow the requests in the window, not the limit, so raising the cap
      // (DATAHUB_RATELIMIT_MAX_LOG_LIMIT below) changes nothing else.
      "    rateLimit: { limit: 100000, windowSeconds: 1, algorithm: sliding-log }",
      "",
    ].join("\n"),
  );
  const databaseUrl = `${PG_BASE}/${databaseName}`;
  const redisPrefix = `datahub_bench_${suffix}`;
  const rootKey = generateApiKey("dhr");
  return {
    suffix,
    databaseName,
    databaseUrl,
    redisPrefix,
    rootKey,
    configDir,
    baseEnv: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
      DATAHUB_REDIS_PREFIX: redisPrefix,
      DATAHUB_ROOT_KEY: rootKey,
      // Shared by every process of the run (split mode needs it; the floor proxy calls the services).
      DATAHUB_INTERNAL_TOKEN: randomBytes(32).toString("base64url"),
      DATAHUB_CONFIG: configPath,
      DATAHUB_BIND_HOST: "127.0.0.1",
      DATAHUB_SHUTDOWN_DELAY_MS: "100",
      LOG_LEVEL: "warn",
      DATAHUB_RATELIMIT_MAX_LOG_LIMIT: "100000",
      // Lets an A/B run compare one event loop with the services thread (docs/architecture.md).
      ...(process.env.DATAHUB_SERVICES_THREAD ? { DATAHUB_SERVICES_THREAD: process.env.DATAHUB_SERVICES_THREAD } : {}),
    },
    async cleanup() {
      await rm(configDir, { recursive: true, force: true });
      await adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    },
  };
}

/** Polls `url` until it answers 200, for at most `timeoutMs`. */
export async function waitForOk(url: string, timeoutMs: number, proc?: BenchChild): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    if (proc && (proc.proc.exitCode !== null || proc.proc.signalCode !== null)) {
      throw new Error(`${proc.name} exited while waiting for ${url}:\n${proc.output().split("\n").slice(-30).join("\n")}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})${proc ? `\n${proc.output().split("\n").slice(-30).join("\n")}` : ""}`);
}

/** Runs `datahub migrate` once for this run's database (bounded to 60 s). */
export async function migrateStack(env: StackEnv): Promise<void> {
  const { child } = await spawnChild("datahub migrate", process.execPath, cliArgs("migrate"), { cwd: REPO, env: env.baseEnv });
  const code = await Promise.race([
    new Promise<number | null>((resolve) => child.proc.once("exit", (c) => resolve(c))),
    new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 60_000)),
  ]);
  await child.stop();
  if (code !== 0) throw new Error(`datahub migrate failed (${code}):\n${child.output()}`);
}

function cliArgs(command: string): string[] {
  // BENCH_NODE_ARGS: extra node flags for DataHub's processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = command === "start" ? (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean) : [];
  return CLI.endsWith(".ts") ? [...nodeArgs, "--import", "tsx", CLI, command] : [...nodeArgs, CLI, command];
}

async function startProcess(name: string, env: NodeJS.ProcessEnv): Promise<BenchChild> {
  const { child } = await spawnChild(name, process.execPath, cliArgs("start"), { cwd: REPO, env, echo: process.env.BENCH_ECHO === "1" });
  return child;
}

/** `DATAHUB_TARGET=all`: every service in one process. Resolves once the edge is ready. */
export async function startAllInOne(env: StackEnv): Promise<RunningStack> {
  const [edge, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  const child = await startProcess("datahub (all)", {
    ...env.baseEnv,
    DATAHUB_TARGET: "all",
    DATAHUB_EDGE_PORT: String(edge),
    DATAHUB_GRPC_PORT: String(grpc),
    DATAHUB_METRICS_PORT: String(metrics),
  });
  const stack: RunningStack = {
    edgeUrl: `http://127.0.0.1:${edge}`,
    edgeMetricsUrl: `http://127.0.0.1:${metrics}/metrics`,
    grpcAddr: `127.0.0.1:${grpc}`,
    processes: [child],
    stop: () => child.stop(20_000),
  };
  try {
    await waitForOk(`${stack.edgeUrl}/readyz`, 90_000, child);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/**
 * The split deployment: the edge in one process (`DATAHUB_TARGET=edge`), the services it calls in
 * another (`BENCH_SPLIT_BACKEND`, default `auth,ratelimit,audit`), each with its own metrics port.
 */
export async function startSplit(env: StackEnv): Promise<RunningStack> {
  const backendTargets = process.env.BENCH_SPLIT_BACKEND ?? "auth,ratelimit,audit";
  const [grpc, backendMetrics, edgeGrpc, edge, edgeMetrics] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const addr = `127.0.0.1:${grpc}`;
  const backend = await startProcess("datahub (backend)", {
    ...env.baseEnv,
    DATAHUB_TARGET: backendTargets,
    DATAHUB_GRPC_PORT: String(grpc),
    DATAHUB_METRICS_PORT: String(backendMetrics),
  });
  const processes = [backend];
  const stop = async () => {
    // Edge first so its last log batch still reaches audit.
    for (const p of [...processes].reverse()) await p.stop(20_000);
  };
  try {
    await waitForOk(`http://127.0.0.1:${backendMetrics}/readyz`, 90_000, backend);
    const edgeProc = await startProcess("datahub (edge)", {
      ...env.baseEnv,
      DATAHUB_TARGET: "edge",
      DATAHUB_EDGE_PORT: String(edge),
      DATAHUB_GRPC_PORT: String(edgeGrpc),
      DATAHUB_METRICS_PORT: String(edgeMetrics),
      DATAHUB_AUTH_ADDR: addr,
      DATAHUB_RATELIMIT_ADDR: addr,
      DATAHUB_AUDIT_ADDR: addr,
      DATAHUB_WEBHOOKS_ADDR: addr,
    });
    processes.push(edgeProc);
    await waitForOk(`http://127.0.0.1:${edge}/readyz`, 90_000, edgeProc);
  } catch (err) {
    await stop();
    throw err;
  }
  return { edgeUrl: `http://127.0.0.1:${edge}`, edgeMetricsUrl: `http://127.0.0.1:${edgeMetrics}/metrics`, processes, stop };
}

async function api<T>(stack: RunningStack, rootKey: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${stack.edgeUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Creates an org and a key holding {@link BENCH_SCOPE} through the HTTP API, with the root key. */
export async function createBenchKey(stack: RunningStack, env: StackEnv, label: string): Promise<{ keyId: string; key: string; orgId: string }> {
  const org = await api<{ id: string }>(stack, env.rootKey, "/v1/orgs", { name: `bench-${label}-${env.suffix}` });
  const key = await api<{ id: string; key: string }>(stack, env.rootKey, "/v1/keys", { name: `bench-${label}`, scopes: [BENCH_SCOPE], orgId: org.id });
  return { keyId: key.id, key: key.key, orgId: org.id };
}
