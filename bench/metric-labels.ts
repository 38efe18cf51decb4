/**
 * What the edge's per-request metric updates cost: prom-client's own Counter and Histograms with a
 * label object per call (what the edge did before), against the series metrics the edge uses now
 * (packages/runtime/src/series-metrics.ts, through the real `RequestLog.write` with a no-op audit
 * shipper). Best of 5 runs of 200,000 "requests" over 4 routes × 2 methods × 3 statuses, after a
 * warm-up; the two alternate ROUNDS times (default 3).
 *   node --import tsx bench/metric-labels.ts
 */
import { Counter, createLogger, Histogram, LATENCY_BUCKETS, Registry } from "@datahub/runtime";
import { createEdgeMetrics } from "../services/edge/src/metrics";
import { RequestLog } from "../services/edge/src/request-log";
import type { AuditShipper } from "../services/edge/src/audit/shipper";

const N = 200_000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const routes = ["orders", "users", "/v1/keys", "echo"];
const methods = ["GET", "POST"];
const statuses = [200, 404, 429];

function time(fn: (i: number) => void): number {
  for (let i = 0; i < N; i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / N);
  }
  return best;
}

/** The record shape `RequestLog.write` takes; the same object for both variants. */
const record = (i: number) => ({
  requestId: "r",
  route: routes[i & 3]!,
  method: methods[i & 1]!,
  status: statuses[i % 3]!,
  durationMs: 4,
  gatewayMs: 0.2,
});

const registry = new Registry();
const promRequests = new Counter({ name: "a_total", help: "a", labelNames: ["route", "method", "status"], registers: [registry] });
const promDuration = new Histogram({ name: "b", help: "b", labelNames: ["route", "method"], buckets: LATENCY_BUCKETS, registers: [registry] });
const promOverhead = new Histogram({ name: "c", help: "c", buckets: LATENCY_BUCKETS, registers: [registry] });
const promUpstream = new Histogram({ name: "d", help: "d", labelNames: ["route"], buckets: LATENCY_BUCKETS, registers: [registry] });
const promClient = (i: number) => {
  const r = record(i);
  promRequests.inc({ route: r.route, method: r.method, status: String(r.status) });
  promDuration.observe({ route: r.route, method: r.method }, r.durationMs / 1000);
  promOverhead.observe(r.gatewayMs / 1000);
  promUpstream.observe({ route: r.route }, 0.003);
};

const noShipper = { push() {} } as unknown as AuditShipper;
const log = new RequestLog(createEdgeMetrics(new Registry()), createLogger({ level: "warn" }), noShipper);
const series = (i: number) => log.write(record(i) as never, 3_000_000n);

for (let round = 1; round <= ROUNDS; round++) {
  const a = time(promClient);
  const b = time(series);
  console.log(`round ${round}: prom-client label objects ${a.toFixed(0)} ns per request, series metrics (RequestLog.write) ${b.toFixed(0)} ns`);
}
