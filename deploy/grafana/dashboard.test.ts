/**
 * deploy/grafana/dashboard.json parses, is laid out without overlaps, queries through the
 * dashboard's datasource variable, uses only catalogued metric names, and every query is valid
 * PromQL (checked by promtool with Grafana's variables substituted).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { stringify } from "yaml";
import { knownSeriesNames, metricNamesIn } from "../support/metric-names";

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string }>;
}
const dashboard = JSON.parse(readFileSync(new URL("dashboard.json", import.meta.url), "utf8")) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
};
const queryPanels = dashboard.panels.filter((p) => p.type !== "row");
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

describe("deploy/grafana/dashboard.json", () => {
  it("has a row for the gateway, the services, webhooks and the dependencies", () => {
    expect(dashboard.uid).toBe("datahub-overview");
    const rows = dashboard.panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual(["Gateway (edge)", "Services (gRPC)", "Webhooks", "Dependencies and processes"]);
  });

  it("gives panels unique ids and non-overlapping places on the 24-column grid", () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it("queries through the datasource variable, filtered to job=datahub and $instance", () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(["datasource", "instance"]);
    for (const p of queryPanels) {
      expect(p.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr).toContain('job="datahub",instance=~"$instance"');
    }
  });

  it("uses only metric names from deploy/metrics-catalog.yaml", () => {
    const known = knownSeriesNames();
    const used = [...new Set(exprs.flatMap(metricNamesIn))];
    expect(used.length).toBeGreaterThan(15);
    expect(used.filter((n) => !known.has(n))).toEqual([]);
  });

  it("has only valid PromQL (promtool parses every query)", () => {
    const dir = mkdtempSync(join(tmpdir(), "datahub-dashboard-"));
    try {
      const rules = exprs.map((expr, i) => ({
        record: `dashboard:query_${i}`,
        expr: expr.replaceAll("$__rate_interval", "5m").replaceAll("$instance", ".*"),
      }));
      writeFileSync(join(dir, "queries.yaml"), stringify({ groups: [{ name: "dashboard", rules }] }));
      const out = execFileSync("promtool", ["check", "rules", "queries.yaml"], { cwd: dir, encoding: "utf8" });
      expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
