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
 * The variables of the env file ({} when the default file does not exist). A file named by
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
  return parseEnvText(text, path);
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/**
 * Parses `KEY=value` lines: an optional `export `, the value bare or in single or double quotes,
 * taken literally (no `$` expansion, no escapes), blank lines and `#` comments. Any other line is
 * an error naming `source` and the line number — not its text, which may hold a password. Node's
 * own util.parseEnv is not used: it skips a bad last line and glues others onto the next key.
 */
export function parseEnvText(text: string, source: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(#|$)/.test(line)) return;
    const where = `${source}:${i + 1}`;
    const m = ASSIGNMENT.exec(line);
    if (!m) throw new Error(`${where}: not a KEY=value line`);
    vars[m[1]!] = unquote(m[2]!, where);
  });
  return vars;
}

function unquote(raw: string, where: string): string {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw.replace(/\s+#.*$/, ""); // ` #` starts a comment, as in the shell
  const end = raw.indexOf(quote, 1);
  if (end < 0 || !/^\s*(#.*)?$/.test(raw.slice(end + 1))) throw new Error(`${where}: a quoted value must end with its quote`);
  return raw.slice(1, end);
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
