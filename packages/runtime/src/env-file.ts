/**
 * `.datahub.env` at the repository root: settings of this machine that scripts/ensure-deps.sh
 * writes (today the DATABASE_URL of a PostgreSQL that wants a password on 127.0.0.1). Every entry
 * point reads it — the CLI, the test helpers, the bench — so `npm start`, `npx datahub …` and
 * `npm test` reach the same database as the quick start.
 *
 * Kept free of other runtime imports: the CLI loads it before its tracing preload, which has to
 * run before pg and ioredis are imported.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";

/** The file's name; git-ignored and kept out of the image (.gitignore, .dockerignore). */
export const ENV_FILE_NAME = ".datahub.env";

/** `<repo>/.datahub.env`, found from this module's place so it works from any working directory. */
export const DEFAULT_ENV_FILE = fileURLToPath(new URL(`../../../${ENV_FILE_NAME}`, import.meta.url));

/**
 * The env file in force: `DATAHUB_ENV_FILE` when set (tests point it at a file of their own),
 * else {@link DEFAULT_ENV_FILE}.
 */
export function envFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATAHUB_ENV_FILE || DEFAULT_ENV_FILE;
}

/**
 * The variables of the env file ({} when the default file does not exist). Syntax is Node's
 * `--env-file` syntax: `KEY=value`, values optionally quoted, `#` comments. A file named by
 * `DATAHUB_ENV_FILE` must exist: a typo there should not silently fall back to the defaults.
 */
export function readEnvFile(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const path = envFilePath(env);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !env.DATAHUB_ENV_FILE) return {};
    throw new Error(`${env.DATAHUB_ENV_FILE ? "DATAHUB_ENV_FILE: " : ""}cannot read ${path}: ${code ?? (e as Error).message}`);
  }
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseEnv(text))) {
    // Node's parser glues a line without `=` onto the next key instead of failing.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${path}: not a KEY=value line: "${name.split("\n")[0]}"`);
    if (value !== undefined) vars[name] = value;
  }
  return vars;
}

/**
 * Copies the env file's variables into `env` where `env` does not set them already (the
 * environment always wins, as with `node --env-file`). Returns the names it set.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): string[] {
  const set: string[] = [];
  for (const [name, value] of Object.entries(readEnvFile(env))) {
    if (env[name] === undefined) {
      env[name] = value;
      set.push(name);
    }
  }
  return set;
}
