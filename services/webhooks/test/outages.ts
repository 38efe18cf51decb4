import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { eventually, freePort } from "@datahub/runtime/testing";

/**
 * A private redis-server on a free port that a test may stop and start again (never the shared
 * 6379). No persistence: a restart is also a "Redis lost its data" event.
 */
export class DisposableRedis {
  private proc?: ChildProcess;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) return; // already running
    if (!this.port) this.port = await freePort();
    this.proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], {
      stdio: "ignore",
    });
    await eventually(async () => {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => {});
      try {
        await c.connect();
        return (await c.ping()) === "PONG";
      } finally {
        c.disconnect();
      }
    }, 10_000);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill("SIGKILL");
    await once(p, "exit");
  }
}

/** A TCP proxy in front of the real Postgres that a test can cut (all connections refused/reset) and restore. */
export class CuttablePgProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get isOpen(): boolean {
    return this.server?.listening ?? false;
  }

  async open(): Promise<void> {
    this.server = createServer((down) => {
      const up = connect(5432, "127.0.0.1");
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          down.destroy();
          up.destroy();
        });
      }
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.port, "127.0.0.1", resolve);
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
