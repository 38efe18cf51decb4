/**
 * The real console build for browser tests: `npm test`'s pretest builds it; a browser test run on
 * its own builds it here when dist/ is missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Makes sure packages/console/dist exists; returns its path. */
export function ensureConsoleBuild(): string {
  const dist = `${ROOT}packages/console/dist`;
  if (!existsSync(`${dist}/index.html`)) execFileSync("npm", ["run", "build", "--silent", "-w", "@datahub/console"], { cwd: ROOT, stdio: "inherit" });
  return dist;
}

/** Where screenshots for docs/console.md go, when DATAHUB_CONSOLE_SCREENSHOTS=1 asks for them. */
export const SCREENSHOT_DIR = process.env.DATAHUB_CONSOLE_SCREENSHOTS === "1" ? `${ROOT}docs/console` : undefined;
