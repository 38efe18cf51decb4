import { AggregatorRegistry, Counter, Histogram, Registry } from "prom-client";
import { LATENCY_BUCKETS, seriesCounter, seriesHistogram, counter } from "../src/index";

/** The same observations into prom-client's own metrics and into series metrics, in two registries. */
function twins() {
  const prom = new Registry();
  const ours = new Registry();
  const pc = new Counter({ name: "t_requests_total", help: "Requests.", labelNames: ["route", "method", "status"], registers: [prom] });
  const ph = new Histogram({ name: "t_duration_seconds", help: "Duration.", labelNames: ["route", "method"], buckets: LATENCY_BUCKETS, registers: [prom] });
  const pu = new Histogram({ name: "t_overhead_seconds", help: "Overhead.", buckets: LATENCY_BUCKETS, registers: [prom] });
  const pz = new Counter({ name: "t_errors_total", help: "Errors.", registers: [prom] });
  const sc = seriesCounter(ours, { name: "t_requests_total", help: "Requests.", labelNames: ["route", "method", "status"] });
  const sh = seriesHistogram(ours, { name: "t_duration_seconds", help: "Duration.", labelNames: ["route", "method"], buckets: LATENCY_BUCKETS });
  const su = seriesHistogram(ours, { name: "t_overhead_seconds", help: "Overhead.", buckets: LATENCY_BUCKETS });
  seriesCounter(ours, { name: "t_errors_total", help: "Errors." });
  void pz;
  // Values on bucket bounds, between them, below the first and past the last (+Inf only).
  const values = [0.0001, 0.0005, 0.0007, 0.001, 0.004, 0.25, 3, 10, 42];
  values.forEach((v, i) => {
    const route = i % 2 === 0 ? "orders" : 'we"ird\\route\n';
    pc.inc({ route, method: "GET", status: String(200 + (i % 3)) });
    sc.labels(route, "GET", String(200 + (i % 3))).inc();
    ph.observe({ route, method: "GET" }, v);
    sh.labels(route, "GET").observe(v);
    pu.observe(v / 10);
    su.labels().observe(v / 10);
  });
  pc.inc({ route: "orders", method: "POST", status: "201" }, 5);
  sc.inc({ route: "orders", method: "POST", status: "201" }, 5);
  return { prom, ours, sc, sh };
}

describe("series metrics", () => {
  it("render the same exposition text as prom-client's own counter and histogram", async () => {
    const { prom, ours } = twins();
    const expected = await prom.metrics();
    expect(await ours.metrics()).toBe(expected);
    // The fixture really covers buckets, +Inf, sums, escaping and a label-less zero counter.
    expect(expected).toContain('t_duration_seconds_bucket{le="+Inf",route="orders",method="GET"} 5');
    expect(expected).toContain("t_errors_total 0");
    expect(expected).toContain('route="we\\"ird\\\\route\\n"');
  });

  it("give the same JSON, so all-mode merges a worker's registry exactly as before", async () => {
    const { prom, ours } = twins();
    const a = await prom.getMetricsAsJSON();
    const b = await ours.getMetricsAsJSON();
    // prom-client adds an empty `exemplar` (null or undefined) to histogram values; there are none here.
    const withoutExemplars = a.map((m) => ({ ...m, values: m.values.map((value) => {
      const { exemplar, ...v } = value as typeof value & { exemplar?: unknown };
      expect(exemplar ?? null).toBeNull();
      return v;
    }) }));
    expect(b).toEqual(withoutExemplars);
    const merged = await AggregatorRegistry.aggregate([a, b]).metrics();
    expect(merged).toContain('t_requests_total{route="orders",method="POST",status="201"} 10');
    expect(merged).toContain('t_duration_seconds_count{route="orders",method="GET"} 10');
  });

  it("hand out one series per label set, and reset to nothing (a label-less metric to its zero)", async () => {
    const { ours, sc, sh } = twins();
    expect(sc.labels("orders", "GET", "200")).toBe(sc.labels("orders", "GET", "200"));
    expect(sh.labels("orders", "GET").count).toBe(5);
    await ours.resetMetrics();
    const text = await ours.metrics();
    expect(text).not.toContain("t_requests_total{");
    expect(text).toContain("t_overhead_seconds_count 0");
  });

  it("are shared by name between modules, and refuse a name taken by another kind", () => {
    const registry = new Registry();
    const a = seriesCounter(registry, { name: "t_shared_total", help: "x", labelNames: ["decision"] });
    expect(seriesCounter(registry, { name: "t_shared_total", help: "x", labelNames: ["decision"] })).toBe(a);
    counter(registry, { name: "t_plain_total", help: "x" });
    expect(() => seriesCounter(registry, { name: "t_plain_total", help: "x" })).toThrow(/another kind/);
    expect(() => seriesHistogram(registry, { name: "t_shared_total", help: "x", buckets: [1] })).toThrow(/another kind/);
  });

  it("refuse what prom-client refuses: a decrease, a value that is not a number, a wrong label count", () => {
    const registry = new Registry();
    const c = seriesCounter(registry, { name: "t_c_total", help: "x", labelNames: ["a", "b"] });
    const h = seriesHistogram(registry, { name: "t_h", help: "x", buckets: [1] });
    expect(() => c.labels("x", "y").inc(-1)).toThrow(/decrease/);
    expect(() => h.labels().observe(Number.NaN)).toThrow(/not a valid number/);
    expect(() => c.labels("x")).toThrow(/expected 2 label values/);
  });
});
