/**
 * What the edge's per-request metric updates cost (services/edge/src/request-log.ts): prom-client
 * with label objects, as the edge calls it, against the same updates on children bound once per
 * label set (`metric.labels(...)`, cached in maps) — the "pre-bound label sets" idea. Best of 5
 * runs of 200,000 "requests" over 4 routes × 2 methods × 3 statuses. The result decided against
 * binding (docs/architecture.md, "Measured choices").
 *   node --import tsx bench/metric-labels.ts
 */
import { Registry } from "@datahub/runtime";
import { createEdgeMetrics, type EdgeMetrics } from "../services/edge/src/metrics";

/** The bound variant: children from `labels()`, looked up in maps by a joined key. */
class BoundChildren {
  private readonly counters = new Map<string, ReturnType<EdgeMetrics["requests"]["labels"]>>();
  private readonly durations = new Map<string, ReturnType<EdgeMetrics["duration"]["labels"]>>();
  private readonly upstreams = new Map<string, ReturnType<EdgeMetrics["upstream"]["labels"]>>();
  constructor(private readonly m: EdgeMetrics) {}
  record(route: string, method: string, status: number, seconds: number, overhead: number, upstream: number): void {
    const rm = route + "\u0000" + method;
    const ck = rm + "\u0000" + status;
    let c = this.counters.get(ck);
    if (c === undefined) this.counters.set(ck, (c = this.m.requests.labels({ route, method, status: String(status) })));
    c.inc();
    let d = this.durations.get(rm);
    if (d === undefined) this.durations.set(rm, (d = this.m.duration.labels({ route, method })));
    d.observe(seconds);
    this.m.overhead.observe(overhead);
    let u = this.upstreams.get(route);
    if (u === undefined) this.upstreams.set(route, (u = this.m.upstream.labels({ route })));
    u.observe(upstream);
  }
}

const N = 200_000;
const routes = ["orders", "users", "/v1/keys", "echo"];
const methods = ["GET", "POST"];
const statuses = [200, 404, 429];

function time(fn: (i: number) => void): number {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / N);
  }
  return best;
}

const unbound = createEdgeMetrics(new Registry());
const labelled = time((i) => {
  const route = routes[i & 3]!;
  const method = methods[i & 1]!;
  const status = String(statuses[i % 3]!);
  unbound.requests.inc({ route, method, status });
  unbound.duration.observe({ route, method }, 0.004);
  unbound.overhead.observe(0.0002);
  unbound.upstream.observe({ route }, 0.003);
});
const set = new BoundChildren(createEdgeMetrics(new Registry()));
const bound = time((i) => set.record(routes[i & 3]!, methods[i & 1]!, statuses[i % 3]!, 0.004, 0.0002, 0.003));
console.log(`label objects per call: ${labelled.toFixed(0)} ns per request`);
console.log(`children bound once:    ${bound.toFixed(0)} ns per request`);
