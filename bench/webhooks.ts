/**
 * Webhook delivery benchmark: starts the webhooks module (real Postgres + Redis + BullMQ, real
 * gRPC) and a local HTTP receiver on 127.0.0.1, publishes `events` events over gRPC with
 * `publishConcurrency` in flight, and measures publish→receipt latency (p50/p99) and end-to-end
 * delivery throughput (deliveries received / time from first publish to last receipt).
 *
 * Alone: `node --import tsx bench/webhooks.ts` (env: BENCH_WEBHOOK_EVENTS=5000,
 * BENCH_WEBHOOK_ENDPOINTS=1, BENCH_WEBHOOK_PUBLISH_CONCURRENCY=64, BENCH_WEBHOOK_CONCURRENCY=100,
 * BENCH_WEBHOOK_RATE=events/s for open-loop publishing; unset = closed loop, as fast as possible;
 * BENCH_WEBHOOK_IN_PROCESS=1 publishes from this process instead of a child process).
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { webhooks } from "@datahub/proto";
import { createRpcClient, startRunner } from "@datahub/runtime";
import { createTestDatabase, TEST_CREDENTIALS, TEST_INTERNAL_TOKEN, testConfig, testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import { webhooksModule } from "@datahub/webhooks";

/** Options of {@link runWebhookBench}. */
export interface WebhookBenchOptions {
  /** Events published (each fans out to every endpoint). */
  events: number;
  /** Endpoints subscribed to every event (all on the same receiver). */
  endpoints?: number;
  /** Publish RPCs in flight. */
  publishConcurrency?: number;
  /** Worker concurrency (DATAHUB_WEBHOOKS_CONCURRENCY). */
  workerConcurrency?: number;
  /** Events published (and delivered) before measuring. */
  warmup?: number;
  /**
   * Open-loop publishing at this many events/s (latency at a sustainable load); unset = as fast
   * as `publishConcurrency` allows (throughput; latency then includes the backlog).
   */
  publishRate?: number;
  /** Publish from a child process (bench/webhooks-publisher.ts), as the edge would; default true. */
  separatePublisher?: boolean;
}

/** Results of one run. */
export interface WebhookBenchResult {
  deliveries: number;
  durationS: number;
  deliveriesPerSec: number;
  publishesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  publisher: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs the benchmark once and tears everything down. */
export async function runWebhookBench(opts: WebhookBenchOptions): Promise<WebhookBenchResult> {
  const endpoints = opts.endpoints ?? 1;
  const publishConcurrency = opts.publishConcurrency ?? 64;
  const warmup = opts.warmup ?? Math.min(500, Math.ceil(opts.events / 10));

  // Receiver: records when each (seq, endpoint) arrived.
  let expected = 0;
  let received = 0;
  let lastReceipt = 0;
  const firstReceipt = new Map<number, number>();
  let done: () => void = () => {};
  let allIn = new Promise<void>((r) => (done = r));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const now = performance.timeOrigin + performance.now();
      const seq = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data: { seq: number } }).data.seq;
      if (seq >= 0) {
        if (!firstReceipt.has(seq)) firstReceipt.set(seq, now);
        lastReceipt = now;
        if (++received >= expected) done();
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;

  const db = await createTestDatabase();
  const env = await testEnv({
    databaseUrl: db.url,
    redisPrefix: `bench-wh-${uniqueSuffix()}`,
    extra: {
      DATAHUB_TARGET: "webhooks",
      DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8",
      DATAHUB_WEBHOOKS_CONCURRENCY: String(opts.workerConcurrency ?? 100),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
  });
  const runner = await startRunner({ config: testConfig(env), modules: [webhooksModule] });
  const client = createRpcClient(webhooks.WebhookService, `127.0.0.1:${runner.ports.grpc}`, { timeoutMs: 30_000, credentials: TEST_CREDENTIALS });
  try {
    const orgId = "bench";
    for (let i = 0; i < endpoints; i++) {
      await client.createEndpoint({ orgId, url: `http://127.0.0.1:${port}/hook/${i}`, events: ["*"], rateLimitPerSecond: 0 });
    }

    const publishAll = async (count: number, seqOf: (i: number) => number, started?: Map<number, number>) => {
      let next = 0;
      const lane = async () => {
        while (next < count) {
          const i = next++;
          const seq = seqOf(i);
          started?.set(seq, performance.timeOrigin + performance.now());
          await client.publish({ orgId, type: "bench.event", data: fromJson(ValueSchema, { seq, pad: "x".repeat(200) }) });
        }
      };
      await Promise.all(Array.from({ length: publishConcurrency }, lane));
    };

    // Warm-up: JIT, pools, keep-alive sockets. Receipts of seq < 0 are not counted.
    if (warmup > 0) {
      const before = received;
      expected = Infinity;
      await publishAll(warmup, () => -1);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await client.listDeliveries({ orgId, endpointId: (await client.listEndpoints({ orgId, limit: 1 })).endpoints[0]!.id, status: webhooks.DeliveryStatus.PENDING, limit: 1 })).deliveries.length > 0) {
        await new Promise((r) => setTimeout(r, 100));
      }
      void before;
    }

    received = 0;
    expected = opts.events * endpoints;
    allIn = new Promise<void>((r) => (done = r));
    const started = new Map<number, number>();
    const clock = () => performance.timeOrigin + performance.now();
    const t0 = clock();
    let publishedAt = 0;
    const inProcess = async () => {
      if (opts.publishRate) {
        const inflight = new Set<Promise<unknown>>();
        for (let i = 0; i < opts.events; i++) {
          const wait = t0 + (i * 1000) / opts.publishRate - clock();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          started.set(i, clock());
          const p = client.publish({ orgId, type: "bench.event", data: fromJson(ValueSchema, { seq: i, pad: "x".repeat(200) }) });
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          if (inflight.size >= publishConcurrency) await Promise.race(inflight);
        }
        await Promise.all(inflight);
      } else {
        await publishAll(opts.events, (i) => i, started);
      }
      publishedAt = clock();
    };
    const childProcess = () =>
      new Promise<void>((resolve, reject) => {
        const script = fileURLToPath(new URL("./webhooks-publisher.ts", import.meta.url));
        const args = ["--import", "tsx", script, `127.0.0.1:${runner.ports.grpc}`, orgId, String(opts.events), String(publishConcurrency), String(opts.publishRate ?? 0)];
        execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DATAHUB_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN } }, (err, stdout) => {
          if (err) return reject(err);
          const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { starts: number[]; publishedAt: number };
          out.starts.forEach((t, i) => started.set(i, t));
          publishedAt = out.publishedAt;
          resolve();
        });
      });
    await Promise.race([
      (async () => {
        await (opts.separatePublisher === false ? inProcess() : childProcess());
        await allIn;
      })(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${received}/${expected} deliveries received`)), 300_000).unref()),
    ]);
    const latencies = [...firstReceipt].map(([seq, at]) => at - started.get(seq)!).sort((a, b) => a - b);
    const durationS = (lastReceipt - t0) / 1000;
    return {
      deliveries: received,
      durationS,
      deliveriesPerSec: received / durationS,
      publishesPerSec: opts.events / ((publishedAt - t0) / 1000),
      publisher: opts.separatePublisher === false ? "in-process" : "child process",
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  } finally {
    client.close();
    await runner.stop();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await db.drop();
  }
}

/**
 * The "Webhook delivery" section of `npm run bench`: a closed-loop run (throughput: publish as fast
 * as 64 in-flight Publish calls allow; its latency includes the backlog) and an open-loop run at a
 * rate the machine sustains (latency without a backlog). Env: BENCH_WEBHOOK_EVENTS (10000),
 * BENCH_WEBHOOK_RATE (500 events/s for the open-loop run).
 */
export async function runWebhooksSection(log: (line: string) => void = console.log): Promise<string> {
  const n = (name: string, d: number) => Number(process.env[name] ?? d);
  const started = new Date().toISOString();
  const events = n("BENCH_WEBHOOK_EVENTS", 10_000);
  const rate = n("BENCH_WEBHOOK_RATE", 500);
  const runs: Array<[string, WebhookBenchResult]> = [];
  for (const [label, o] of [
    [`closed loop, ${events.toLocaleString("en")} events, 64 publishes in flight`, { events }],
    [`open loop, ${rate} events/s for ${Math.round((events / 2 / rate))} s`, { events: Math.round(events / 2), publishRate: rate }],
  ] as Array<[string, WebhookBenchOptions]>) {
    const r = await runWebhookBench({ endpoints: 1, publishConcurrency: 64, workerConcurrency: 100, ...o });
    log(`webhooks ${label}: ${r.deliveriesPerSec.toFixed(0)} deliveries/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`);
    runs.push([label, r]);
  }
  const fmt0 = (x: number) => Math.round(x).toLocaleString("en");
  const rows = runs.map(([label, r]) => `| ${label} | ${fmt0(r.deliveries)} | ${fmt0(r.deliveriesPerSec)} | ${fmt0(r.publishesPerSec)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} |`);
  const best = runs[0]![1].deliveriesPerSec;
  return [
    `Command: \`npm run bench\` (section "webhooks"; alone: \`node --import tsx bench/webhooks.ts\`), run ${started}.`,
    "The webhooks module (real PostgreSQL, Redis, BullMQ) in the bench process, publishes over gRPC from a child process, one endpoint on a local receiver (127.0.0.1) answering 204; latency is publish call → receipt of the signed POST.",
    "",
    "| run | deliveries | deliveries/s | publishes/s | p50 ms | p99 ms |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `- ${best >= 1000 ? "PASS" : "FAIL"} throughput ${fmt0(best)} deliveries/s (target ≥ 1,000 on this 2-core machine).`,
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = (name: string, d: number) => Number(process.env[name] ?? d);
  const opts: WebhookBenchOptions = {
    events: n("BENCH_WEBHOOK_EVENTS", 5000),
    endpoints: n("BENCH_WEBHOOK_ENDPOINTS", 1),
    publishConcurrency: n("BENCH_WEBHOOK_PUBLISH_CONCURRENCY", 64),
    workerConcurrency: n("BENCH_WEBHOOK_CONCURRENCY", 100),
    publishRate: process.env.BENCH_WEBHOOK_RATE ? n("BENCH_WEBHOOK_RATE", 0) : undefined,
    separatePublisher: process.env.BENCH_WEBHOOK_IN_PROCESS !== "1",
  };
  runWebhookBench(opts).then(
    (r) => {
      console.log(JSON.stringify({ options: opts, ...r }));
      console.log(
        `webhooks: ${r.deliveries} deliveries in ${r.durationS.toFixed(2)} s → ${r.deliveriesPerSec.toFixed(0)} deliveries/s ` +
          `(publish ${r.publishesPerSec.toFixed(0)}/s); publish→receipt p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`,
      );
      process.exit(0);
    },
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
