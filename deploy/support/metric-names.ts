/**
 * The metric-name catalogue (deploy/metrics-catalog.yaml) and a PromQL name extractor, so alert
 * rules and dashboard queries can be checked against the names the code actually registers.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export interface MetricCatalog {
  emitted: string[];
  pending: string[];
  standard: string[];
}

/** The parsed catalogue. */
export function metricCatalog(): MetricCatalog {
  return parse(readFileSync(new URL("../metrics-catalog.yaml", import.meta.url), "utf8")) as MetricCatalog;
}

/** Every name a query may use: the catalogue's, plus a histogram's _bucket/_sum/_count series. */
export function knownSeriesNames(): Set<string> {
  const c = metricCatalog();
  const names = new Set<string>();
  for (const n of [...c.emitted, ...c.pending, ...c.standard]) {
    names.add(n);
    for (const suffix of ["_bucket", "_sum", "_count"]) names.add(n + suffix);
  }
  return names;
}

/**
 * Metric names a PromQL expression selects. Label values (inside quotes), label names (before
 * `=`, `!=`, `=~`, `!~`) and recording-rule names (with colons) are not metric names.
 */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = new Set<string>();
  for (const m of withoutStrings.matchAll(/(?<![\w:$])([a-zA-Z_][a-zA-Z0-9_]*)(?![\w:])(\s*(?:=~|!~|!=|=)?)/g)) {
    const [, name, op] = m;
    if (op && op.trim()) continue; // a label matcher
    if (/^(datahub|process|nodejs)_/.test(name!) || name === "up") names.add(name!);
  }
  return [...names];
}
