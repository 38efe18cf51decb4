import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_ENV_FILE, loadEnvFile, parseEnvText, readEnvFile } from "@datahub/runtime/env-file";
import { DEFAULT_PG_BASE_URL, localPgBaseUrl } from "@datahub/runtime/testing";

const dir = mkdtempSync(join(tmpdir(), "datahub-envfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An environment whose DATAHUB_ENV_FILE is a new file with `text`. */
function withFile(text: string, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.env`);
  writeFileSync(path, text);
  return { ...env, DATAHUB_ENV_FILE: path };
}

describe(".datahub.env", () => {
  it("lives at the repository root by default", () => {
    expect(DEFAULT_ENV_FILE).toBe(fileURLToPath(new URL("../../../.datahub.env", import.meta.url)));
  });

  it("reads KEY=value lines with quoted values and comments", () => {
    const env = withFile(`# written by scripts/ensure-deps.sh\nDATABASE_URL="postgres://u:p%40ss@127.0.0.1:5432/datahub"\n\nexport LOG_LEVEL='debug'  # for now\nREDIS_URL=redis://127.0.0.1:6379 # local\nDATAHUB_ROOT_KEY="a#b"\n`);
    expect(readEnvFile(env)).toEqual({
      DATABASE_URL: "postgres://u:p%40ss@127.0.0.1:5432/datahub",
      LOG_LEVEL: "debug",
      REDIS_URL: "redis://127.0.0.1:6379",
      DATAHUB_ROOT_KEY: "a#b",
    });
  });

  it.each([
    ["a line without =, even the last one", "LOG_LEVEL=debug\nDATABASE_URL postgres://u:secret@h/db", 2, "not a KEY=value line"],
    ["a name that is not one", "1DATABASE_URL=x", 1, "not a KEY=value line"],
    ["an unterminated quote", 'DATABASE_URL="postgres://u:secret@h/db', 1, "a quoted value must end with its quote"],
    ["text after the closing quote", "LOG_LEVEL='debug' info", 1, "a quoted value must end with its quote"],
  ])("refuses %s (one line: file and line number, never the value)", (_what, text, line, reason) => {
    expect(() => parseEnvText(text, "/x/.datahub.env")).toThrow(new Error(`/x/.datahub.env:${line}: ${reason}`));
  });

  it("fills only what the environment leaves unset", () => {
    const env = withFile("DATABASE_URL=postgres://from-file/db\nLOG_LEVEL=debug\n", { LOG_LEVEL: "warn" });
    expect(loadEnvFile(env)).toEqual(["DATABASE_URL"]);
    expect(env.LOG_LEVEL).toBe("warn");
    expect(env.DATABASE_URL).toBe("postgres://from-file/db");
  });

  it("requires a file named by DATAHUB_ENV_FILE to exist", () => {
    expect(() => readEnvFile({ DATAHUB_ENV_FILE: join(dir, "missing.env") })).toThrow(/^DATAHUB_ENV_FILE: cannot read .*missing\.env: ENOENT$/);
  });
});

describe("localPgBaseUrl", () => {
  it("prefers the override variable", () => {
    const env = withFile("DATABASE_URL=postgres://a:b@127.0.0.1:5433/x\n", { TEST_PG_URL: "postgres://me@127.0.0.1:6000" });
    expect(localPgBaseUrl("TEST_PG_URL", env)).toBe("postgres://me@127.0.0.1:6000");
  });

  it("takes the server and credentials of the file's DATABASE_URL, still percent-encoded", () => {
    const env = withFile('DATABASE_URL="postgres://datahub:p%40ss%2Fw@127.0.0.1:5433/datahub?sslmode=disable"\n');
    expect(localPgBaseUrl("TEST_PG_URL", env)).toBe("postgres://datahub:p%40ss%2Fw@127.0.0.1:5433");
  });

  it("ignores a DATABASE_URL that only the environment sets", () => {
    expect(localPgBaseUrl("TEST_PG_URL", { ...withFile("LOG_LEVEL=debug\n"), DATABASE_URL: "postgres://x:y@elsewhere:5432/prod" })).toBe(DEFAULT_PG_BASE_URL);
  });

  it("names the file and the way out when DATABASE_URL has no server", () => {
    const env = withFile("DATABASE_URL=postgres:///datahub?host=/var/run/postgresql\n");
    expect(() => localPgBaseUrl("BENCH_PG_URL", env)).toThrow(/^DATABASE_URL in .*\.env is not postgres:\/\/user:password@host:port\/database; set BENCH_PG_URL to the server instead$/);
  });
});
