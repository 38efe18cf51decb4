/**
 * Debian's chromium driven by playwright-core, for the console's browser tests. No browser is
 * ever downloaded: scripts/ensure-tools.sh (npm test's pretest) installs the `chromium` package,
 * and `DATAHUB_CHROMIUM` may point at another binary.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type Page } from "playwright-core";

/** Flags for a headless chromium on a machine whose network reaches only package registries. */
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

/**
 * Launches chromium (playwright gives it a new empty profile, removed on close); throws a
 * one-line fix when the binary is missing.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.DATAHUB_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`${executablePath} not found: run scripts/ensure-tools.sh (installs Debian's chromium) or set DATAHUB_CHROMIUM`);
  return chromium.launch({ executablePath, args: FLAGS, timeout: 30_000 });
}

/** One accessibility finding of impact serious or critical. */
export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

const axeSource = (): string => {
  const require = createRequire(import.meta.url);
  return (require("axe-core") as { source: string }).source;
};

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on the page as it is and returns its serious and
 * critical violations. axe is evaluated through the DevTools protocol, which the page's CSP does
 * not govern, so the console is checked under its real policy.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource());
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? "", help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return results.filter((v) => v.impact === "serious" || v.impact === "critical");
}
