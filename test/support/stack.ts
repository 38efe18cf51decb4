/**
 * End-to-end test support: a whole DataHub (in this process, or as child processes running the
 * real `datahub start` command) on its own database, Redis prefix and ports, plus an upstream.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { generateApiKey, loadConfig, startRunner, type Logger, type Runner } from "@datahub/runtime";
import { captureLogger, createTestDatabase, eventually, testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import { ALL_MODULES } from "../../packages/cli/src/modules";

const ROOT = new URL("../..", import.meta.url).pathname;

import { writeRoutes } from "../../services/edge/test/support/edge-stack";

// The recording upstream is the edge's own test helper.
export { startUpstream } from "../../services/edge/test/support/edge-stack";

/** A running DataHub for a test. */
export interface Stack {
  env: Record<string, string>;
  edgeUrl: string;
  rootKey: string;
  redisPrefix: string;
  databaseUrl: string;
  /** Captured log lines of the in-process runner (empty for child processes). */
  logs: () => string;
  runner?: Runner;
  stop(): Promise<void>;
}

/** Options for {@link startStack}. */
export interface StackOptions {
  /** datahub.yaml content. */
  routes?: string;
  /** Extra environment (e.g. DATAHUB_TARGET, short cache timings). */
  env?: Record<string, string>;
}

async function baseEnv(opts: StackOptions): Promise<{ env: Record<string, string>; drop(): Promise<void>; rootKey: string }> {
  const db = await createTestDatabase();
  const rootKey = generateApiKey("dhr");
  const env = await testEnv({
    databaseUrl: db.url,
    redisPrefix: `dht${uniqueSuffix()}`,
    extra: { DATAHUB_ROOT_KEY: rootKey, ...(opts.routes ? { DATAHUB_CONFIG: writeRoutes(opts.routes) } : {}), ...opts.env },
  });
  return { env, drop: db.drop, rootKey };
}

/** Starts every service in this process (DATAHUB_TARGET=all unless env says otherwise). */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const { env, drop, rootKey } = await baseEnv(opts);
  const capture = captureLogger("info");
  const runner = await startRunner({ config: loadConfig(env), modules: ALL_MODULES, logger: capture.logger as Logger });
  const port = runner.modules.get("edge")?.info?.port as number;
  return {
    env,
    rootKey,
    runner,
    redisPrefix: env.DATAHUB_REDIS_PREFIX!,
    databaseUrl: env.DATABASE_URL!,
    edgeUrl: `http://127.0.0.1:${port}`,
    logs: capture.text,
    async stop() {
      await runner.stop();
      await drop();
    },
  };
}

/** A `datahub start` child process. */
export interface DatahubProcess {
  child: ChildProcess;
  output: () => string;
  metricsUrl: string;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns `datahub start` with `env` only (not this process's environment) in `cwd` (default this one); collects stdout and stderr. */
function spawnStart(env: Record<string, string>, cwd?: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [join(ROOT, "packages/cli/bin/datahub.js"), "start"], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (out += d));
  return { child, output: () => out };
}

/**
 * Runs `datahub start` with `env` until it exits on its own (a start-up failure); SIGKILLs it
 * after `timeoutMs`. Resolves with its exit code, its output and how long it ran.
 */
export function runDatahubToExit(env: Record<string, string>, timeoutMs = 20000): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const { child, output } = spawnStart(env);
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", (code) => (clearTimeout(t), resolve({ code, output: output(), ms: Date.now() - started })));
  });
}

/**
 * Spawns `datahub start` with `env` (in `cwd`, default this one) and waits until its /readyz
 * answers 200. The default wait is generous: an all-mode start with tracing on took over 20 s on
 * this 2-core machine while other suites ran.
 */
export async function spawnDatahub(env: Record<string, string>, timeoutMs = 45000, cwd?: string): Promise<DatahubProcess> {
  const { child, output } = spawnStart(env, cwd);
  const metricsUrl = `http://127.0.0.1:${env.DATAHUB_METRICS_PORT}`;
  let exited = false;
  child.on("exit", () => (exited = true));
  await eventually(async () => {
    if (exited) throw new Error(`datahub exited during start-up:\n${output()}`);
    const r = await fetch(`${metricsUrl}/readyz`).catch(() => undefined);
    return r?.status === 200;
  }, timeoutMs, 100).catch((e: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${e.message}\n--- output ---\n${output()}`);
  });
  return {
    child,
    output,
    metricsUrl,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve(child.exitCode);
        const t = setTimeout(() => child.kill("SIGKILL"), 15000);
        child.once("exit", (code) => (clearTimeout(t), resolve(code)));
        child.kill("SIGTERM");
      }),
  };
}

/** Starts a stack as child processes: `split` runs the edge in one process and the rest in another. */
export async function startProcessStack(opts: StackOptions & { split: boolean }): Promise<Stack & { processes: DatahubProcess[]; baseEnv: Record<string, string> }> {
  const { env, drop, rootKey } = await baseEnv(opts);
  const processes: DatahubProcess[] = [];
  try {
    if (opts.split) {
      const services = { ...env, DATAHUB_TARGET: "auth,ratelimit,audit,webhooks", DATAHUB_EDGE_PORT: "0" };
      processes.push(await spawnDatahub(services));
      const edgeEnv: Record<string, string> = { ...env, DATAHUB_TARGET: "edge", DATAHUB_METRICS_PORT: String(await freePortNear()) };
      edgeEnv.DATAHUB_AUTH_ADDR = edgeEnv.DATAHUB_RATELIMIT_ADDR = edgeEnv.DATAHUB_AUDIT_ADDR = edgeEnv.DATAHUB_WEBHOOKS_ADDR = `127.0.0.1:${env.DATAHUB_GRPC_PORT}`;
      edgeEnv.DATAHUB_GRPC_PORT = String(await freePortNear());
      processes.push(await spawnDatahub(edgeEnv));
    } else {
      processes.push(await spawnDatahub(env));
    }
  } catch (e) {
    await Promise.all(processes.map((p) => p.stop()));
    await drop();
    throw e;
  }
  return {
    env,
    baseEnv: env,
    rootKey,
    processes,
    redisPrefix: env.DATAHUB_REDIS_PREFIX!,
    databaseUrl: env.DATABASE_URL!,
    edgeUrl: `http://127.0.0.1:${env.DATAHUB_EDGE_PORT}`,
    logs: () => processes.map((p) => p.output()).join("\n"),
    async stop() {
      for (const p of [...processes].reverse()) await p.stop();
      await drop();
    },
  };
}

async function freePortNear(): Promise<number> {
  const { freePort } = await import("@datahub/runtime/testing");
  return freePort();
}

/** A JSON HTTP call against the edge. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Creates an org and a key in it through the real HTTP API with the root key. */
export async function createOrgAndKey(stack: Pick<Stack, "edgeUrl" | "rootKey">, keyBody: Record<string, unknown> = {}) {
  const org = await call(stack.edgeUrl, "POST", "/v1/orgs", { key: stack.rootKey, body: { name: `org-${uniqueSuffix()}` } });
  if (org.status !== 201) throw new Error(`POST /v1/orgs: ${org.status} ${org.text}`);
  const key = await call(stack.edgeUrl, "POST", "/v1/keys", {
    key: stack.rootKey,
    body: { name: "test key", scopes: ["*"], orgId: org.json.id, ...keyBody },
  });
  if (key.status !== 201) throw new Error(`POST /v1/keys: ${key.status} ${key.text}`);
  return { org: org.json, key: key.json as { id: string; key: string; orgId: string } };
}
