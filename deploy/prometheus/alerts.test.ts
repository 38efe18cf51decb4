/**
 * The alert rules pass `promtool check rules` and their unit tests (`promtool test rules
 * alerts.test.yaml`); every alert has a severity, a runbook section in docs/operations.md and a
 * unit test that expects it to fire; and the rules use only catalogued metric names.
 * promtool comes from scripts/ensure-tools.sh (`npm test` runs it first) — the test fails, not skips, without it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parse } from "yaml";
import { knownSeriesNames, metricNamesIn } from "../support/metric-names";

const DIR = new URL(".", import.meta.url).pathname;
const OPERATIONS_MD = new URL("../../docs/operations.md", import.meta.url);

function promtool(...args: string[]): string {
  try {
    return execFileSync("promtool", args, { cwd: DIR, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(new URL("alerts.yaml", import.meta.url), "utf8")) as { groups: Array<{ rules: Rule[] }> }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")),
  );
}

describe("deploy/prometheus/alerts.yaml", () => {
  it("passes promtool check rules", () => {
    expect(promtool("check", "rules", "alerts.yaml")).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("passes its promtool unit tests", () => {
    expect(promtool("test", "rules", "alerts.test.yaml")).toMatch(/SUCCESS/);
  });

  it("covers the alerts issue 5 asks for", () => {
    const names = alerts.map((a) => a.alert);
    for (const required of [
      "DataHubHighErrorRate",
      "DataHubGatewayOverheadHigh",
      "DataHubRateLimiterFailingOpen",
      "DataHubAuditRecordsDropped",
      "DataHubWebhookBacklog",
      "DataHubTargetDown",
    ]) {
      expect(names).toContain(required);
    }
  });

  it("gives every alert a severity, a summary and a runbook section that exists", () => {
    const sections = anchors(readFileSync(OPERATIONS_MD, "utf8"));
    for (const a of alerts) {
      expect({ alert: a.alert, severity: ["critical", "warning"].includes(a.labels?.severity ?? "") }).toEqual({ alert: a.alert, severity: true });
      expect(a.annotations?.summary).toBeTruthy();
      const [file, anchor] = (a.annotations?.runbook_url ?? "").split("#");
      expect(file).toBe("docs/operations.md");
      expect({ alert: a.alert, runbook: sections.has(anchor!) }).toEqual({ alert: a.alert, runbook: true });
    }
  });

  it("has a unit test in which every alert fires", () => {
    const tests = (parse(readFileSync(new URL("alerts.test.yaml", import.meta.url), "utf8")) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    }).tests;
    const firing = new Set(tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    expect(alerts.map((a) => a.alert).filter((n) => !firing.has(n!))).toEqual([]);
  });

  it("uses only metric names from deploy/metrics-catalog.yaml", () => {
    const known = knownSeriesNames();
    const used = rules.flatMap((r) => metricNamesIn(r.expr));
    expect(used.length).toBeGreaterThan(10);
    expect([...new Set(used)].filter((n) => !known.has(n))).toEqual([]);
  });
});
