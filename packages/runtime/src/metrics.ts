import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type MetricObjectWithValues,
  type MetricValue,
} from "prom-client";

export { Counter, Gauge, Histogram, Registry };

/** Latency buckets in seconds, from 0.5 ms to 10 s: gateway overhead lives at the low end. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates the Prometheus registry of one runner, with the default process metrics.
 * Each runner has its own registry so several runners can live in one test process.
 */
export function createMetricsRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these three gauges `_total`, which `promtool check metrics` rejects
    // (docs/reference/metrics.md, "Standard process metrics"); the same counts stay available per type in nodejs_active_{handles,requests,resources}.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  }
  return registry;
}

const LINT_FAILING_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** A source of metrics kept in another registry (e.g. a worker thread's), merged into `/metrics`. */
export type MetricsSource = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;

/**
 * Renders `registry` plus every extra source as one exposition: same-named families are merged
 * (counters and histograms summed per label set) by prom-client's AggregatorRegistry.
 */
export async function renderMetrics(registry: Registry, sources: MetricsSource[]): Promise<string> {
  if (sources.length === 0) return registry.metrics();
  const all = [await registry.getMetricsAsJSON(), ...(await Promise.all(sources.map((s) => s())))];
  return AggregatorRegistry.aggregate(all).metrics();
}

/** Returns the metric registered under `name`, or creates it with `make`. */
export function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The counter `config.name` of `registry`, created on first use. Modules that share a process (all
 * mode) may ask for the same metric; they get the one instance instead of a registration error.
 */
export function counter<T extends string = string>(registry: Registry, config: Omit<CounterConfiguration<T>, "registers">): Counter<T> {
  return metric(registry, config.name, () => new Counter<T>({ ...config, registers: [registry] }));
}

/** The histogram `config.name` of `registry`, created on first use (see {@link counter}). */
export function histogram<T extends string = string>(registry: Registry, config: Omit<HistogramConfiguration<T>, "registers">): Histogram<T> {
  return metric(registry, config.name, () => new Histogram<T>({ ...config, registers: [registry] }));
}

/** The gauge `config.name` of `registry`, created on first use (see {@link counter}). */
export function gauge<T extends string = string>(registry: Registry, config: Omit<GaugeConfiguration<T>, "registers">): Gauge<T> {
  return metric(registry, config.name, () => new Gauge<T>({ ...config, registers: [registry] }));
}

/** `datahub_system_events_total{source, outcome}`: one definition for every service that sends system events. */
export function systemEventsCounter(registry: Registry): Counter<"source" | "outcome"> {
  return counter(registry, {
    name: "datahub_system_events_total",
    help: "System events sent to the webhooks service, by source service and outcome (published, failed, dropped).",
    labelNames: ["source", "outcome"] as const,
  });
}
