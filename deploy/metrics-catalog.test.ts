/**
 * The metric catalogue matches the code: every `emitted` name is registered somewhere in
 * packages/ or services/ (as `name: "…"` of a prom-client metric), every `standard` name is one
 * Prometheus or prom-client's default metrics produce, and the PromQL name extractor the rule and
 * dashboard tests use finds names and skips labels and strings.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { collectDefaultMetrics, Registry } from "prom-client";
import { metricCatalog, metricNamesIn } from "./support/metric-names";

const ROOT = new URL("..", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name === "node_modules" || name === "test" || name === "testing" || name === "gen") return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [full] : [];
  });
}

describe("deploy/metrics-catalog.yaml", () => {
  const catalog = metricCatalog();

  it("lists only emitted names that the code registers", () => {
    const source = ["packages", "services"].flatMap((d) => sourceFiles(join(ROOT, d))).map((f) => readFileSync(f, "utf8")).join("\n");
    const registered = new Set([...source.matchAll(/name:\s*"(datahub_[a-z0-9_]+)"/g)].map((m) => m[1]));
    expect(registered.size).toBeGreaterThan(5);
    expect(catalog.emitted.filter((n) => !registered.has(n))).toEqual([]);
    // A registered name missing from the catalogue is fine (not every metric needs a panel); a
    // pending one the code now registers may move to `emitted` (nothing breaks either way).
  });

  it("lists only standard names that Prometheus or prom-client's default metrics produce", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const defaults = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    expect(catalog.standard.filter((n) => n !== "up" && !defaults.has(n))).toEqual([]);
  });

  it("extracts metric names from PromQL, not label names or values", () => {
    expect(metricNamesIn('sum by (route) (rate(datahub_http_requests_total{job="datahub",status=~"5.."}[5m]))')).toEqual(["datahub_http_requests_total"]);
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le) (rate(datahub_gateway_overhead_seconds_bucket{instance=~"$instance"}[$__rate_interval])))')).toEqual([
      "datahub_gateway_overhead_seconds_bucket",
    ]);
    expect(metricNamesIn('up{job="datahub"} == 0 and datahub:http_gateway_errors:ratio_rate5m > 1')).toEqual(["up"]);
    expect(metricNamesIn('datahub_x_total{datahub_label="datahub_value"}')).toEqual(["datahub_x_total"]);
  });
});
