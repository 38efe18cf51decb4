/**
 * On a stock Debian PostgreSQL (a password over TCP) scripts/ensure-deps.sh writes the
 * credentials to .datahub.env, and every entry point must find them there with nothing in the
 * environment: the CLI (`datahub migrate`, as `npx datahub migrate` runs it) and the test helpers.
 * Runs against a private password-only cluster; DATAHUB_ENV_FILE points at a file of the test's
 * own, so the repository's real .datahub.env is neither read nor touched.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "packages/cli/bin/datahub.js");
const dir = mkdtempSync(join(tmpdir(), "datahub-env-test-"));
const envFile = join(dir, ".datahub.env");
const badFile = join(dir, "bad.env");
let server: PrivatePostgres;

beforeAll(async () => {
  server = await startPrivatePostgres();
  // Quoted, as a hand-edited file may be (ensure-deps.sh writes it bare).
  writeFileSync(envFile, `# as scripts/ensure-deps.sh writes it\nDATABASE_URL="${server.url("datahub_envfile")}"\n`);
  writeFileSync(badFile, `DATABASE_URL ${server.url("datahub_envfile")}\n`);
}, 45_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** This process's environment without anything that names a database, plus `extra`. */
function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/DATABASE_URL$|^PG|^TEST_PG_URL$|^DATAHUB_/.test(k)));
  return { ...env, LOG_LEVEL: "warn", ...extra };
}

/** Runs node with `args` in the repository; resolves with the exit code and output, never rejects. */
async function node(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: REPO, env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? err.message };
  }
}

it("the private server refuses a wrong password", async () => {
  const client = new pg.Client({ connectionString: `postgres://${server.user}:wrong@127.0.0.1:${server.port}/postgres` });
  await expect(client.connect()).rejects.toMatchObject({ code: "28P01" });
});

it("a malformed env file stops the CLI with one line and EX_CONFIG", async () => {
  const r = await node([CLI, "--version"], bareEnv({ DATAHUB_ENV_FILE: badFile }));
  expect(r).toMatchObject({ code: 78, stdout: "", stderr: `datahub: ${badFile}:1: not a KEY=value line\n` });
});

it("`datahub migrate` connects with the env file's DATABASE_URL alone", async () => {
  // Guard: were the file not read, migrate would go to the default database on the shared server.
  expect((await node([CLI, "--version"], bareEnv({ DATAHUB_ENV_FILE: badFile }))).code).toBe(78);
  const r = await node([CLI, "migrate"], bareEnv({ DATAHUB_ENV_FILE: envFile }));
  // One line per migration applied, then the count.
  expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^applied auth 0001_init\n(applied \w+ \w+\n)+\d+ migration\(s\) applied; the database is up to date\n$/) });
  const client = new pg.Client({ connectionString: server.url("datahub_envfile") });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT nspname FROM pg_namespace WHERE nspname IN ('auth', 'audit', 'webhooks') ORDER BY 1");
    expect(rows.map((r) => r.nspname)).toEqual(["audit", "auth", "webhooks"]);
  } finally {
    await client.end();
  }
}, 40_000);

it("a DATABASE_URL in the environment wins over the file", async () => {
  const r = await node([CLI, "migrate"], bareEnv({ DATAHUB_ENV_FILE: envFile, DATABASE_URL: `postgres://${server.user}:wrong@127.0.0.1:${server.port}/datahub_envfile` }));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/password authentication failed/);
}, 40_000);

it("the test helpers take the server and credentials from the env file", async () => {
  const script = `
    import pg from "pg";
    import { TEST_PG_URL, createTestDatabase } from "@datahub/runtime/testing";
    const db = await createTestDatabase();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query("SELECT current_database() AS name");
    await c.end();
    await db.drop();
    console.log(JSON.stringify({ base: TEST_PG_URL, connectedTo: rows[0].name, created: db.name }));`;
  const r = await node(["--import", "tsx", "--input-type=module", "-e", script], bareEnv({ DATAHUB_ENV_FILE: envFile }));
  expect(r).toMatchObject({ code: 0 });
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  expect(out.base).toBe(`postgres://${server.user}:${server.password}@127.0.0.1:${server.port}`);
  expect(out.connectedTo).toBe(out.created);
}, 40_000);
