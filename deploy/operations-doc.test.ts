/**
 * docs/operations.md stays true to the repository: its in-page links resolve, every file it names
 * exists, every alert has a runbook section (and every runbook an alert), and the shutdown numbers
 * it quotes are the ones the manifests and config.ts use.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { parse } from "yaml";
import { configDefault } from "./support/config-env";
import { render } from "./support/kustomize";

const ROOT = new URL("..", import.meta.url).pathname;
const doc = readFileSync(join(ROOT, "docs/operations.md"), "utf8");
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
const headings = [...doc.matchAll(/^(#{1,6})\s+(.+)$/gm)].map((m) => ({ level: m[1]!.length, text: m[2]! }));

describe("docs/operations.md", () => {
  it("has working in-page links", () => {
    const anchors = new Set(headings.map((h) => slug(h.text)));
    const links = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => !anchors.has(l))).toEqual([]);
  });

  it("names only files that exist", () => {
    const paths = [...doc.matchAll(/`((?:deploy|docs|scripts|packages|overlays)\/[\w./{},-]+|overlays\/\w+|compose\.yaml|Dockerfile)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(5);
    const expanded = paths.flatMap((p) => {
      const brace = /\{([^}]+)\}/.exec(p);
      return brace ? brace[1]!.split(",").map((alt) => p.replace(brace[0], alt)) : [p];
    });
    expect(expanded.filter((p) => !existsSync(join(ROOT, p.replace(/^overlays\//, "deploy/k8s/overlays/"))))).toEqual([]);
  });

  it("has one runbook per alert and no runbook without an alert", () => {
    const alerts = (parse(readFileSync(join(ROOT, "deploy/prometheus/alerts.yaml"), "utf8")) as { groups: Array<{ rules: Array<{ alert?: string }> }> }).groups
      .flatMap((g) => g.rules)
      .flatMap((r) => (r.alert ? [r.alert] : []));
    const runbookStart = headings.findIndex((h) => h.text === "Runbooks");
    const runbooks = headings.slice(runbookStart + 1).filter((h) => h.level === 3).map((h) => h.text);
    expect(runbooks.sort()).toEqual([...alerts].sort());
  });

  it("quotes the shutdown numbers the manifests and config.ts use", () => {
    const edge = render("overlays/prod").find((o) => o.kind === "Deployment" && o.metadata.name === "datahub-edge");
    const pod = edge.spec.template.spec;
    const preStop = pod.containers[0].lifecycle.preStop.exec.command[1];
    expect(doc).toContain(`\`preStop\` sleeps ${preStop} s`);
    expect(doc).toContain(`| ${pod.terminationGracePeriodSeconds} s | \`terminationGracePeriodSeconds\``);
    expect(doc).toContain(`\`DATAHUB_SHUTDOWN_DELAY_MS\` (${configDefault("DATAHUB_SHUTDOWN_DELAY_MS").toLocaleString("en").replace(",", " ")})`);
    expect(doc).toContain(`\`DATAHUB_SHUTDOWN_TIMEOUT_MS\` (${configDefault("DATAHUB_SHUTDOWN_TIMEOUT_MS").toLocaleString("en").replace(",", " ")})`);
  });
});
