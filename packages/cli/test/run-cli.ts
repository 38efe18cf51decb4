/**
 * Runs the real `datahub` binary (node packages/cli/bin/datahub.js) as a child process with an
 * environment of the test's choosing only, and collects its exit code, stdout and stderr apart.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
/** The `datahub` binary. */
export const CLI = join(REPO, "packages/cli/bin/datahub.js");
/** An empty env file (DATAHUB_ENV_FILE): the repository's .datahub.env, if any, must not leak into a test. */
export const ENV_FILE = join(mkdtempSync(join(tmpdir(), "datahub-cli-test-")), ".datahub.env");
writeFileSync(ENV_FILE, "");

/** What one run of the CLI did. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `datahub ...args` with `env` (plus PATH and HOME); never rejects. Async: a stack in this process must keep answering. */
export function datahub(args: string[], env: Record<string, string | undefined> = {}, opts: { input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATAHUB_ENV_FILE: ENV_FILE, LOG_LEVEL: "warn", ...env }, timeout: opts.timeoutMs ?? 20_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** Parses a run's stdout as JSON, failing the test with its stderr when it is not. */
export function json(run: CliRun): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
