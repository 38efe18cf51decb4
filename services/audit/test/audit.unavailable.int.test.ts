/**
 * Postgres unreachable: the audit RPCs answer UNAVAILABLE quickly (the edge buffers and retries),
 * readiness fails, and everything works again once Postgres is back. The outage is a TCP proxy
 * in front of the real Postgres that the test cuts and restores.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { GrpcStatus, isServiceError } from "@datahub/runtime";
import { createTestDatabase } from "@datahub/runtime/testing";
import { entry } from "./fixtures";
import { startAudit, wire, type AuditHarness } from "./harness";

class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get isOpen(): boolean {
    return this.server?.listening ?? false;
  }

  async open(port = 0): Promise<void> {
    this.server = createServer((downstream) => {
      const upstream = connect(5432, "127.0.0.1");
      for (const s of [downstream, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          downstream.destroy();
          upstream.destroy();
        });
      }
      downstream.pipe(upstream).pipe(downstream);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", resolve);
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

let h: AuditHarness;
let proxy: CuttableProxy;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await createTestDatabase();
  drop = db.drop;
  proxy = new CuttableProxy();
  await proxy.open();
  h = await startAudit({}, db.url.replace(":5432/", `:${proxy.port}/`));
});
afterAll(async () => {
  if (!proxy.isOpen) await proxy.open(proxy.port);
  await h?.close();
  await proxy.cut();
  await drop?.();
});

async function codeAndTime(p: Promise<unknown>): Promise<{ code: number | undefined; ms: number }> {
  const started = performance.now();
  try {
    await p;
    return { code: GrpcStatus.OK, ms: performance.now() - started };
  } catch (e) {
    return { code: isServiceError(e) ? e.code : undefined, ms: performance.now() - started };
  }
}

it("answers UNAVAILABLE quickly while Postgres is unreachable and recovers after", async () => {
  const now = Date.now();
  expect((await h.client.appendLogsStream({ records: [wire(entry({ timestampMs: now, requestId: "before" }))] })).accepted).toBe(1);

  await proxy.cut();
  const append = await codeAndTime(h.client.appendLogsStream({ records: [wire(entry({ timestampMs: now, requestId: "during" }))] }));
  expect(append.code).toBe(GrpcStatus.UNAVAILABLE);
  expect(append.ms).toBeLessThan(1000);
  const query = await codeAndTime(h.client.queryLogs({ orgId: "org-1" }));
  expect(query.code).toBe(GrpcStatus.UNAVAILABLE);
  const usage = await codeAndTime(h.client.getUsage({ orgId: "org-1" }));
  expect(usage.code).toBe(GrpcStatus.UNAVAILABLE);
  const report = await h.runner.health.report();
  expect(report.checks.postgres).toBe(false);
  expect(report.ready).toBe(false);

  await proxy.open(proxy.port);
  expect((await h.client.appendLogsStream({ records: [wire(entry({ timestampMs: now, requestId: "after" }))] })).accepted).toBe(1);
  const { records } = await h.client.queryLogs({ orgId: "org-1" });
  expect(records.map((r) => r.requestId).sort()).toEqual(["after", "before"]);
  expect((await h.runner.health.report()).ready).toBe(true);
});
