/**
 * `datahub config validate [file]`: the checks and messages of start-up, one line per problem,
 * exit 0 (valid), 65 (invalid), 66 (unreadable), 64 (bad command line). Integration: the last
 * case starts the real gateway with the same file, on the test database, to compare messages.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, testEnv, uniqueSuffix } from "@datahub/runtime/testing";

const ROOT = new URL("../../..", import.meta.url).pathname;
const BIN = join(ROOT, "packages/cli/bin/datahub.js");

function datahub(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "datahub-validate-")), "datahub.yaml");
  writeFileSync(path, text);
  return path;
}

const BAD = "routes:\n  - { name: a, path: a, upstream: 'ftp://x', stripPrefix: true }\n  - { name: b, path: /b, upstream: 'http://x', rateLimit: { limit: 20000, windowSeconds: 60 } }\n";

test("a valid file: exit 0, one line on stdout", () => {
  expect(datahub(["config", "validate", join(ROOT, "examples/datahub.yaml")])).toEqual({ code: 0, stdout: `${join(ROOT, "examples/datahub.yaml")}: valid (1 route)\n`, stderr: "" });
});

test("without a file argument: DATAHUB_CONFIG, else ./datahub.yaml", () => {
  const path = file("routes: []\n");
  expect(datahub(["config", "validate"], { DATAHUB_CONFIG: path }).stdout).toBe(`${path}: valid (0 routes)\n`);
  const dir = join(path, "..");
  expect(datahub(["config", "validate"], {}, dir).stdout).toBe("datahub.yaml: valid (0 routes)\n");
});

test("an invalid file: exit 65, one line per problem naming the file and the field", () => {
  const path = file(BAD);
  expect(datahub(["config", "validate", path])).toEqual({
    code: 65,
    stdout: "",
    stderr: [
      `datahub: ${path}: routes[0].path: expected an absolute path starting with /`,
      `datahub: ${path}: routes[0].upstream: expected an http(s) URL without query, fragment or credentials`,
      `datahub: ${path}: routes[0].stripPrefix: unknown field`,
      "",
    ].join("\n"),
  });
});

test("rate-limit caps come from the environment, as at start-up", () => {
  const path = file("routes:\n  - { name: b, path: /b, upstream: 'http://x', rateLimit: { limit: 20000, windowSeconds: 60 } }\n");
  const capped = datahub(["config", "validate", path]);
  expect(capped.code).toBe(65);
  expect(capped.stderr).toBe(`datahub: ${path}: routes[0].rateLimit.limit: must be at most 10000 for sliding-log (memory grows with the limit; DATAHUB_RATELIMIT_MAX_LOG_LIMIT), got 20000\n`);
  expect(datahub(["config", "validate", path], { DATAHUB_RATELIMIT_MAX_LOG_LIMIT: "20000" }).code).toBe(0);
});

test("a missing file: exit 66; a bad command line: exit 64", () => {
  expect(datahub(["config", "validate", "/nonexistent/datahub.yaml"])).toEqual({ code: 66, stdout: "", stderr: "datahub: /nonexistent/datahub.yaml: cannot read: ENOENT\n" });
  expect(datahub(["config", "validate", "a.yaml", "b.yaml"])).toMatchObject({ code: 64, stderr: expect.stringMatching(/^datahub: too many arguments for 'validate'[^\n]*\n$/) });
  expect(datahub(["config", "check"])).toMatchObject({ code: 64 });
});

test("datahub start refuses the same file with the same messages (on one line) and exit 78", async () => {
  const path = file(BAD);
  const validated = datahub(["config", "validate", path]).stderr.trim().split("\n").map((l) => l.replace(/^datahub: /, ""));
  const db = await createTestDatabase();
  try {
    const env = await testEnv({ databaseUrl: db.url, redisPrefix: `dhv${uniqueSuffix()}`, extra: { DATAHUB_CONFIG: path, DATAHUB_SERVICES_THREAD: "false" } });
    const started = datahub(["start"], env);
    expect(started.code).toBe(78);
    expect(started.stderr.trim().split("\n").at(-1)).toBe(`datahub: ${validated.join("; ")}`);
  } finally {
    await db.drop();
  }
}, 60_000);
