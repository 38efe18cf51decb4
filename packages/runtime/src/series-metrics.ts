/**
 * Counters and histograms for code that runs once per request. A label set is resolved once to a
 * series — a plain object of numbers — and an observation is then a bucket search and a few
 * additions. prom-client's own `inc`/`observe` validate, sort and hash the label object, and
 * address buckets by a number turned into a property name, on every call (its bound children
 * too), which the edge paid six times per request (docs/architecture.md, "Measured choices").
 *
 * The metrics render through prom-client's Registry like its own (same exposition, same JSON for
 * the all-mode aggregation of a worker thread's registry), so `/metrics` does not change.
 */
import type { MetricObjectWithValues, MetricValue, Registry } from "prom-client";
import { metric } from "./metrics";

/** One label set of a {@link SeriesCounter}. */
export interface CounterSeries {
  value: number;
  inc(n?: number): void;
}

/** One label set of a {@link SeriesHistogram}; `counts[i]` is non-cumulative (bucket i only). */
export interface HistogramSeries {
  readonly counts: Float64Array;
  sum: number;
  count: number;
  observe(value: number): void;
}

/** Options of {@link seriesCounter} and {@link seriesHistogram}. */
export interface SeriesMetricConfig<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

type Labels = Record<string, string>;

/** Joins positional label values into the key of their series (a label value never holds U+0000 from our callers). */
function keyOf(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : values.join("\u0000");
}

/** The label object of positional `values`. */
function labelsOf(names: readonly string[], values: readonly string[]): Labels {
  const labels: Labels = {};
  for (let i = 0; i < names.length; i++) labels[names[i]!] = values[i] ?? "";
  return labels;
}

abstract class SeriesMetric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = "sum" as const;
  protected readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { labels: Labels; series: S }>();

  constructor(config: SeriesMetricConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames ?? [];
  }

  /** As prom-client does: a metric without labels shows its zero before the first observation. Subclasses call it last in their constructor. */
  protected zeroIfUnlabelled(): void {
    if (this.labelNames.length === 0) this.labels();
  }

  /**
   * The series of these label values, in `labelNames` order, created on first use. Keep it when the
   * labels are fixed; looking it up again costs one Map hit. A kept series outlives {@link reset}:
   * after a reset it still counts, but nothing renders it until `labels()` is asked again, so only
   * reset a registry whose holders are gone (DataHub resets registries in tests only).
   */
  labels(...values: string[]): S {
    const key = keyOf(values);
    let entry = this.series.get(key);
    if (entry === undefined) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
      entry = { labels: labelsOf(this.labelNames, values), series: this.create() };
      this.series.set(key, entry);
    }
    return entry.series;
  }

  /** prom-client's `resetMetrics()`: drops every series (see {@link labels} for series kept by callers). */
  reset(): void {
    this.series.clear();
    this.zeroIfUnlabelled();
  }

  /** prom-client's JSON form (what `getMetricsAsJSON` and the all-mode aggregation read). */
  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) } as unknown as MetricObjectWithValues<MetricValue<string>>;
  }

  /** What `registry.metrics()` renders, value for value as prom-client's own metric of this type. */
  abstract getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Labels | { le: number | string }; sharedLabels?: Labels; value: number; metricName?: string }> }>;

  protected abstract create(): S;
}

/** A counter whose label sets are resolved once (see the module's comment). */
export class SeriesCounter<L extends string = string> extends SeriesMetric<L, CounterSeries> {
  readonly type = "counter" as const;

  constructor(config: SeriesMetricConfig<L>) {
    super(config);
    this.zeroIfUnlabelled();
  }

  /** prom-client's `inc({label: value}, n)`, for code off the hot path. */
  inc(labels: Partial<Record<L, string>> = {}, n = 1): void {
    this.labels(...this.labelNames.map((name) => labels[name] ?? "")).inc(n);
  }

  async getForPromString() {
    const values = [...this.series.values()].map(({ labels, series }) => ({ labels, value: series.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  protected create(): CounterSeries {
    return {
      value: 0,
      inc(n = 1) {
        if (!(n >= 0)) throw new Error("It is not possible to decrease a counter");
        this.value += n;
      },
    };
  }
}

/** A histogram whose label sets are resolved once (see the module's comment). */
export class SeriesHistogram<L extends string = string> extends SeriesMetric<L, HistogramSeries> {
  readonly type = "histogram" as const;
  private readonly buckets: Float64Array;

  constructor(config: SeriesMetricConfig<L> & { buckets: readonly number[] }) {
    super(config);
    this.buckets = Float64Array.from([...config.buckets].sort((a, b) => a - b));
    this.zeroIfUnlabelled();
  }

  /** prom-client's `observe({label: value}, v)`, for code off the hot path. */
  observe(labels: Partial<Record<L, string>>, value: number): void {
    this.labels(...this.labelNames.map((name) => labels[name] ?? "")).observe(value);
  }

  async getForPromString() {
    const name = this.name;
    const bounds = this.buckets;
    const values: Array<{ labels: Labels | { le: number | string }; sharedLabels?: Labels; value: number; metricName?: string }> = [];
    for (const { labels, series } of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < bounds.length; i++) {
        acc += series.counts[i]!;
        values.push({ labels: { le: bounds[i]! }, sharedLabels: labels, value: acc, metricName: `${name}_bucket` });
      }
      values.push({ labels: { le: "+Inf" }, sharedLabels: labels, value: series.count, metricName: `${name}_bucket` });
      values.push({ labels: {}, sharedLabels: labels, value: series.sum, metricName: `${name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: series.count, metricName: `${name}_count` });
    }
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  protected create(): HistogramSeries {
    const bounds = this.buckets;
    return {
      counts: new Float64Array(bounds.length),
      sum: 0,
      count: 0,
      observe(value: number) {
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        // Past the last bound the value is only in +Inf, which is `count`.
        if (i < bounds.length) this.counts[i]!++;
        this.sum += value;
        this.count++;
      },
    };
  }
}

/** The series counter `config.name` of `registry`, created on first use and shared by name (as `counter()`). */
export function seriesCounter<L extends string>(registry: Registry, config: SeriesMetricConfig<L>): SeriesCounter<L> {
  return ensureKind(metric(registry, config.name, () => register(registry, new SeriesCounter<L>(config))), SeriesCounter, config.name) as SeriesCounter<L>;
}

/** The series histogram `config.name` of `registry`, created on first use and shared by name. */
export function seriesHistogram<L extends string>(registry: Registry, config: SeriesMetricConfig<L> & { buckets: readonly number[] }): SeriesHistogram<L> {
  return ensureKind(metric(registry, config.name, () => register(registry, new SeriesHistogram<L>(config))), SeriesHistogram, config.name) as SeriesHistogram<L>;
}

function register<M>(registry: Registry, m: M): M {
  registry.registerMetric(m as never);
  return m;
}

/** Two modules registering one name must agree on its kind; a prom-client metric of that name is a programming error. */
function ensureKind<M>(m: unknown, kind: abstract new (...args: never[]) => M, name: string): M {
  if (!(m instanceof kind)) throw new Error(`metric ${name} is already registered as another kind of metric`);
  return m;
}
