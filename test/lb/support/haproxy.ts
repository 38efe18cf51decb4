/**
 * Runs the repository's own load-balancer config (deploy/compose/haproxy.cfg, the file compose.yaml
 * mounts) with the Debian haproxy package, in a temp dir, for the test/lb integration tests. What
 * differs from compose comes from the environment the config reads; the only addition is a
 * test-only admin socket (a second config file), through which the tests read each edge's health
 * state and traffic, and take an edge out of rotation.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, freePort } from "@datahub/runtime/testing";

const ROOT = new URL("../../..", import.meta.url).pathname;
/** The config under test: the compose stack's. */
export const HAPROXY_CFG = join(ROOT, "deploy/compose/haproxy.cfg");
/** Makes the self-signed certificate (what the compose docs run too). */
export const CERT_SCRIPT = join(ROOT, "scripts/self-signed-cert.sh");

/** One server line of `show stat`. */
export interface ServerStat {
  /** `UP`, `DOWN`, `MAINT`, or a transition such as `UP 1/2`. */
  status: string;
  /** Requests answered 2xx by this server, counted by the balancer (kept across edge restarts). */
  http2xx: number;
  /** Connections the balancer opened (or reused) to it for requests. */
  sessions: number;
  /** Requests the balancer tried again after this server failed them (`wretr`), and sent to another server instead (`wredis`). */
  retries: number;
  redispatches: number;
}

/** A running HAProxy. */
export interface Balancer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The balancer's own output (its request log and alerts). */
  output: () => string;
  /** `show stat` for the `edges` backend's servers, by name (`edge-1`, `edge-2`). */
  servers(): Promise<Record<string, ServerStat>>;
  /** Waits until the balancer's health check sees `server` in `status` (e.g. `UP`). */
  waitFor(server: string, status: string, timeoutMs?: number): Promise<void>;
  /** A command on the admin socket, e.g. `disable server edges/edge-2`. */
  admin(command: string): Promise<string>;
  stop(): Promise<void>;
}

/** Options for {@link startBalancer}. */
export interface BalancerOptions {
  /** PEM with certificate and key. */
  certPem: string;
  /** The two edges: HTTP address (`127.0.0.1:port`) and ops port (where `/readyz` is). */
  edges: [{ addr: string; checkPort: number }, { addr: string; checkPort: number }];
  /** Address the balancer connects to the edges from (`LB_SOURCE`). */
  source?: string;
  /** Health-check interval (`LB_CHECK_INTERVAL`), e.g. `100ms`. */
  checkInterval?: string;
}

/** Runs `command` on a HAProxy master/stats socket and returns the whole answer. */
function socketCommand(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let out = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (out += d));
    socket.on("error", reject);
    socket.on("end", () => resolve(out));
    socket.on("connect", () => socket.write(`${command}\n`));
  });
}

/** Starts HAProxy in the foreground on a free port of 127.0.0.1 and waits until it accepts connections. */
export async function startBalancer(opts: BalancerOptions): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), "datahub-lb-"));
  const socketPath = join(dir, "admin.sock");
  // Test-only: the admin socket. HAProxy merges repeated `global` sections.
  writeFileSync(join(dir, "test.cfg"), `global\n    stats socket ${socketPath} mode 600 level admin\n`);
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LB_BIND: `127.0.0.1:${port}`,
    LB_TLS_CERT: opts.certPem,
    LB_EDGE_1: opts.edges[0].addr,
    LB_EDGE_1_CHECK_PORT: String(opts.edges[0].checkPort),
    LB_EDGE_2: opts.edges[1].addr,
    LB_EDGE_2_CHECK_PORT: String(opts.edges[1].checkPort),
    LB_CHECK_INTERVAL: opts.checkInterval ?? "100ms",
    ...(opts.source ? { LB_SOURCE: opts.source } : {}),
  };
  // -db: foreground, no daemon; -f twice: the repository's file, then the admin socket.
  const child: ChildProcess = spawn("haproxy", ["-db", "-f", HAPROXY_CFG, "-f", join(dir, "test.cfg")], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  // Bounded: under load the request log is long, and only its end helps when a test fails.
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-200_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited = false;
  const exit = new Promise<void>((r) => child.once("exit", () => ((exited = true), r())));

  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const servers = async (): Promise<Record<string, ServerStat>> => {
    const csv = await socketCommand(socketPath, "show stat");
    const lines = csv.trim().split("\n");
    const header = lines[0]!.replace(/^# /, "").split(",");
    const col = (name: string) => header.indexOf(name);
    const result: Record<string, ServerStat> = {};
    for (const line of lines.slice(1)) {
      const f = line.split(",");
      if (f[col("pxname")] !== "edges" || f[col("svname")] === "BACKEND") continue;
      result[f[col("svname")]!] = {
        status: f[col("status")]!,
        http2xx: Number(f[col("hrsp_2xx")]),
        sessions: Number(f[col("stot")]),
        retries: Number(f[col("wretr")]),
        redispatches: Number(f[col("wredis")]),
      };
    }
    return result;
  };

  try {
    await eventually(async () => {
      if (exited) throw new Error(`haproxy exited:\n${out}`);
      return Object.keys(await servers()).length === 2;
    }, 10000, 50);
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    output: () => out,
    servers,
    async waitFor(server, status, timeoutMs = 10000) {
      await eventually(async () => (await servers())[server]?.status === status, timeoutMs, 20).catch(async () => {
        throw new Error(`${server} not ${status} within ${timeoutMs} ms: ${JSON.stringify(await servers())}\n${out.slice(-3000)}`);
      });
    },
    admin: (command) => socketCommand(socketPath, command),
    stop,
  };
}
