/**
 * The drill's DataHub: the real `datahub start` as a child process on free ports, a recording-free
 * upstream to proxy to, and a small JSON client for the `/v1` API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { freePort, sleep } from "./pg-cluster";

const ROOT = new URL("../..", import.meta.url).pathname;

/** A running `datahub start`. */
export interface DrillDatahub {
  edgeUrl: string;
  output(): string;
  /** SIGKILL (the drill's DataHub on a dead database is not worth a graceful drain). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** An upstream answering 200 to everything, for proxied requests. */
export async function startEchoUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Writes a datahub.yaml with one open route `/api/*` to `upstream` into `dir`. */
export function writeDrillRoutes(dir: string, upstream: string): string {
  const file = join(dir, "datahub.yaml");
  writeFileSync(file, `routes:\n  - name: drill\n    path: /api\n    upstream: ${upstream}\n    scopes: []\n`);
  return file;
}

/**
 * Spawns `datahub start` (every service) with `env` on fresh ports and waits for /readyz 200.
 * Only PATH and HOME of this process are passed on: the drill's environment is explicit.
 */
export async function startDrillDatahub(env: Record<string, string>, timeoutMs = 60_000): Promise<DrillDatahub> {
  const ports = { edge: await freePort(), grpc: await freePort(), metrics: await freePort() };
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "packages/cli/bin/datahub.js"), "start"], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATAHUB_BIND_HOST: "127.0.0.1",
      DATAHUB_EDGE_PORT: String(ports.edge),
      DATAHUB_GRPC_PORT: String(ports.grpc),
      DATAHUB_METRICS_PORT: String(ports.metrics),
      DATAHUB_SHUTDOWN_DELAY_MS: "0",
      DATAHUB_SHUTDOWN_TIMEOUT_MS: "3000",
      DATAHUB_SERVICES_THREAD: "false",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let exited = false;
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (out += d));
  const gone = new Promise<void>((r) => child.once("exit", () => ((exited = true), r())));
  const kill = async () => {
    if (!exited) child.kill("SIGKILL");
    await gone;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`datahub exited during start-up:\n${out}`);
    const r = await fetch(`http://127.0.0.1:${ports.metrics}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`datahub not ready within ${timeoutMs} ms:\n${out}`);
    }
    await sleep(100);
  }
  return {
    edgeUrl: `http://127.0.0.1:${ports.edge}`,
    output: () => out,
    kill,
    async stop() {
      if (exited) return;
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.kill("SIGTERM");
      await gone;
      clearTimeout(t);
    },
  };
}

/** One JSON call to the edge; never throws for an HTTP status (status 0 when the edge is unreachable). */
export async function api(base: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; json: any }> {
  try {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  } catch {
    return { status: 0, json: undefined };
  }
}
