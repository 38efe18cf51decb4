/**
 * Private redis-server processes for tests that must stop Redis or need a Cluster (the shared
 * Redis on 6379 is never stopped): each on a free 127.0.0.1 port, in its own temp dir, no
 * persistence. `startCluster` builds a real 3-master Redis Cluster with `redis-cli --cluster create`.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { eventually, freePort } from "@datahub/runtime/testing";

const run = promisify(execFile);

/** One redis-server child process. */
export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: an abrupt outage) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

async function ping(port: number): Promise<boolean> {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on("error", () => {});
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Starts redis-server on a free port (extra args e.g. `--cluster-enabled yes`). */
export async function startRedisServer(extra: string[] = [], port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `redis-${p}-`));
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn("redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra], { stdio: "ignore" });
    await eventually(() => ping(p), 5000, 20);
  };
  const kill = async () => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((r) => (c.once("exit", () => r()), c.kill("SIGKILL")));
  };
  await launch();
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A 3-master Redis Cluster on local ports. */
export interface RedisCluster {
  nodes: RedisServer[];
  urls: string[];
  stop(): Promise<void>;
}

/** Starts three cluster-enabled servers and joins them (no replicas); resolves when the cluster is ok. */
export async function startCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) nodes.push(await startRedisServer(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"]));
    await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 10_000 });
    await eventually(async () => {
      for (const n of nodes) {
        const r = new Redis({ port: n.port, host: "127.0.0.1" });
        const info = (await r.call("CLUSTER", "INFO")) as string;
        r.disconnect();
        if (!info.includes("cluster_state:ok")) return false;
      }
      return true;
    }, 8000, 50);
  } catch (e) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw e;
  }
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))),
  };
}
