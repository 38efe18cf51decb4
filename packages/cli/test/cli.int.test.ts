/**
 * The real `datahub` binary against a real edge (every service in this process, real Postgres and
 * Redis): help, exit codes, stdout/stderr, --json, every HTTP command, the database commands.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import pg from "pg";
import { createDataHubClient } from "@datahub/client";
import { eventually, freePort, TEST_PG_URL, uniqueSuffix } from "@datahub/runtime/testing";
import { call, startStack, type Stack } from "../../../test/support/stack";
import { createProgram, runCli } from "../src/cli";
import { CLI, datahub, ENV_FILE, json } from "./run-cli";
import type { Command } from "commander";

let stack: Stack;
let receiver: { url: string; close(): Promise<void> };
/** The edge and the root key, as a user's shell would have them. */
let root: Record<string, string>;
/** A database name that must never come to exist. */
const ghostDb = `datahub_cli_ghost_${uniqueSuffix()}`;
const ghostUrl = `${TEST_PG_URL}/${ghostDb}`;

beforeAll(async () => {
  const server = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  receiver = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
  stack = await startStack({ env: { DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8", DATAHUB_WEBHOOKS_RETRY_SCHEDULE: "200ms", DATAHUB_WEBHOOKS_SWEEP_MS: "200" } });
  root = { DATAHUB_URL: stack.edgeUrl, DATAHUB_API_KEY: stack.rootKey };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function databaseExists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: `${TEST_PG_URL}/postgres` });
  await c.connect();
  try {
    return (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
  } finally {
    await c.end();
  }
}

/** Every command path of the tree: ["keys", "create"], ["migrate", "status"], … */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.filter((c) => c.name() !== "help").flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe("help", () => {
  it("every command prints its help on stdout and succeeds without running", async () => {
    const paths = commandPaths(createProgram());
    expect(paths.length).toBeGreaterThan(25);
    const write = process.stdout.write.bind(process.stdout);
    for (const path of paths) {
      let out = "";
      process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
      let code: number | undefined;
      try {
        code = await runCli([...path, "--help"]);
      } finally {
        process.stdout.write = write;
      }
      expect({ path, code }).toEqual({ path, code: 0 });
      expect(out).toContain(`Usage: datahub ${path.join(" ")}`);
    }
  });

  it("the real binary: --help of database commands touches no database; --version reads package.json", async () => {
    const env = { DATABASE_URL: ghostUrl };
    const runs = await Promise.all([["migrate", "--help"], ["migrate", "status", "--help"], ["start", "--help"], ["root-key", "reset", "--help"], ["keys", "create", "--help"]].map((a) => datahub(a, env)));
    for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: "", stdout: expect.stringMatching(/^Usage: datahub /) });
    expect(await databaseExists(ghostDb)).toBe(false);
    const viaHelp = await datahub(["help", "keys"]);
    expect(viaHelp).toMatchObject({ code: 0, stderr: "", stdout: expect.stringMatching(/^Usage: datahub keys /) });
    const v = await datahub(["--version"]);
    expect(v).toEqual({ code: 0, stdout: "datahub 0.1.0\n", stderr: "" });
  });
});

describe("exit codes: one line on stderr, nothing on stdout", () => {
  const oneLine = (stderr: string) => expect(stderr).toMatch(/^datahub: [^\n]+\n$/);

  it("64 for a wrong command line", async () => {
    const runs = await Promise.all([
      datahub(["nope"], root),
      datahub(["keys", "lst"], root),
      datahub(["keys", "create", "--name", "x", "--bogus"], root),
      datahub(["keys", "get"], root),
      datahub(["keys", "create", "--name", "x", "--rate-limit", "fast"], root),
      datahub(["keys", "update", "00000000-0000-0000-0000-000000000000"], root),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(64);
      expect(r.stdout).toBe("");
      oneLine(r.stderr);
    }
    expect(runs[1]!.stderr).toContain("Did you mean list?");
    expect(runs[2]!.stderr).toContain("--bogus");
    expect(runs[4]!.stderr).toContain("--rate-limit");
    // A group without its subcommand shows its help, on stderr.
    const bare = await datahub(["keys"], root);
    expect(bare).toMatchObject({ code: 64, stdout: "", stderr: expect.stringContaining("Usage: datahub keys") });
  });

  it("78 for a missing or malformed DATAHUB_URL or key; 69 for an unreachable edge; 65 for a wrong key, 400 and 404", async () => {
    const [noUrl, badUrl, noKey, down, wrongKey, bad, missing] = await Promise.all([
      datahub(["orgs", "list"], { DATAHUB_API_KEY: stack.rootKey }),
      datahub(["orgs", "list"], { ...root, DATAHUB_URL: "localhost:8080" }),
      datahub(["orgs", "list"], { DATAHUB_URL: stack.edgeUrl }),
      datahub(["orgs", "list"], { ...root, DATAHUB_URL: `http://127.0.0.1:${await freePort()}` }),
      datahub(["orgs", "list"], { ...root, DATAHUB_API_KEY: "dh_wrongwrongwrongwrongwrongwrongwrongwron" }),
      datahub(["keys", "create", "--name", "x", "--scopes", "NOT VALID", "--org", "nope"], root),
      datahub(["keys", "get", "00000000-0000-0000-0000-000000000000"], root),
    ]);
    for (const r of [noUrl, badUrl, noKey, down, wrongKey, bad, missing]) {
      expect(r.stdout).toBe("");
      oneLine(r.stderr);
    }
    expect([noUrl.code, badUrl.code, noKey.code]).toEqual([78, 78, 78]);
    expect(noUrl.stderr).toContain("DATAHUB_URL");
    expect(noKey.stderr).toContain("DATAHUB_API_KEY");
    expect(down.code).toBe(69);
    expect(down.stderr).toContain("ECONNREFUSED");
    expect(wrongKey).toMatchObject({ code: 65, stderr: expect.stringMatching(/^datahub: 401 unauthorized: .*\(request [^)]+\)\n$/) });
    expect(bad).toMatchObject({ code: 65, stderr: expect.stringContaining("400 invalid-request: scopes[0]") });
    expect(missing).toMatchObject({ code: 65, stderr: expect.stringContaining("404 not-found") });
  });
});

describe("HTTP commands against a real edge", () => {
  let orgId: string;
  let orgKey: Record<string, string>;
  let keyId: string;

  it("orgs and keys, --json equal to the API's JSON, the secret on stdout and the reminder on stderr", async () => {
    const created = await datahub(["orgs", "create", "cli-org", "--json"], root);
    orgId = json(created).id;
    const listed = json(await datahub(["orgs", "list", "--json"], root));
    expect(listed).toEqual((await call(stack.edgeUrl, "GET", "/v1/orgs", { key: stack.rootKey })).json);

    const k = await datahub(["keys", "create", "--org", orgId, "--name", "ci", "--scopes", "*", "--rate-limit", "100/60", "--json"], root);
    expect(k.stderr).toBe("This is the only time the key is shown. Store it now.\n");
    const key = json(k);
    expect(key).toMatchObject({ name: "ci", scopes: ["*"], rateLimit: { limit: 100, windowSeconds: 60 }, key: expect.stringMatching(/^dh_/) });
    orgKey = { DATAHUB_URL: stack.edgeUrl, DATAHUB_API_KEY: key.key };

    const spare = json(await datahub(["keys", "create", "--name", "spare", "--json"], orgKey));
    keyId = spare.id;
    // A root key finds a key of any org by its id alone.
    const got = json(await datahub(["keys", "get", keyId, "--json"], root));
    expect(got).toEqual((await call(stack.edgeUrl, "GET", `/v1/keys/${keyId}?orgId=${orgId}`, { key: stack.rootKey })).json);

    const table = await datahub(["keys", "list", "--limit", "1"], orgKey);
    expect(table.stdout).toMatch(/^ID +PREFIX +NAME +SCOPES/);
    expect(table.stdout.trim().split("\n")).toHaveLength(2);
    expect(table.stderr).toMatch(/^more: --cursor \S+ \(or --all\)\n$/);
    const all = json(await datahub(["keys", "list", "--all", "--limit", "1", "--json"], orgKey));
    expect(all.data.map((x: { name: string }) => x.name).sort()).toEqual(["ci", "spare"]);
    expect(all.nextCursor).toBeNull();
    const found = json(await datahub(["keys", "list", "--search", "SPA", "--json"], orgKey));
    expect(found.data.map((x: { name: string }) => x.name)).toEqual(["spare"]);

    const updated = json(await datahub(["keys", "update", keyId, "--name", "renamed", "--scopes", "orders:read", "--json"], orgKey));
    expect(updated).toMatchObject({ name: "renamed", scopes: ["orders:read"] });
    const rotated = json(await datahub(["keys", "rotate", keyId, "--grace-period", "0", "--json"], orgKey));
    expect(rotated).toMatchObject({ name: "renamed", key: expect.stringMatching(/^dh_/) });
    const revoked = await datahub(["keys", "revoke", rotated.id], root);
    expect(revoked).toEqual({ code: 0, stdout: `revoked ${rotated.id}\n`, stderr: "" });
    expect(json(await datahub(["keys", "get", rotated.id, "--json"], orgKey)).revoked).toBe(true);
  });

  it("webhooks and events", async () => {
    const ep = json(await datahub(["webhooks", "create", `${receiver.url}/hook`, "--events", "order.*", "--description", "cli", "--json"], orgKey));
    expect(ep.secret).toMatch(/^whsec_/);
    expect(json(await datahub(["webhooks", "get", ep.id, "--json"], orgKey))).toEqual((await call(stack.edgeUrl, "GET", `/v1/webhooks/${ep.id}`, { key: orgKey.DATAHUB_API_KEY })).json);
    expect((await datahub(["webhooks", "list"], orgKey)).stdout).toContain(`${receiver.url}/hook`);
    expect(json(await datahub(["webhooks", "update", ep.id, "--description", "none", "--json"], orgKey)).description).toBeNull();

    const published = await datahub(["events", "publish", "order.created", "--data", "-", "--idempotency-key", "cli-1"], orgKey, { input: '{"n":1}' });
    expect(published).toMatchObject({ code: 0, stdout: expect.stringMatching(/^accepted \S+\n$/) });

    // The receiver answers 500: the delivery fails after its one retry.
    const sdk = createDataHubClient({ url: stack.edgeUrl, key: orgKey.DATAHUB_API_KEY! });
    await eventually(async () => (await sdk.webhooks.deliveries(ep.id, { status: "failed" }).first()).data.length === 1, 20_000, 200);
    const deliveries = json(await datahub(["webhooks", "deliveries", ep.id, "--status", "failed", "--json"], orgKey));
    const deliveryId = deliveries.data[0].id;
    const attempts = await datahub(["webhooks", "attempts", ep.id, deliveryId], orgKey);
    expect(attempts.stdout).toMatch(/^# +STARTED +STATUS/);
    expect(attempts.stdout).toContain("500");
    expect(await datahub(["webhooks", "retry", ep.id, deliveryId], orgKey)).toMatchObject({ code: 0, stdout: `retry of ${deliveryId} scheduled\n` });
    expect(json(await datahub(["webhooks", "rotate-secret", ep.id, "--json"], orgKey)).secret).toMatch(/^whsec_/);
    expect(await datahub(["webhooks", "delete", ep.id], orgKey)).toMatchObject({ code: 0, stdout: `deleted ${ep.id}\n` });
    expect((await datahub(["webhooks", "get", ep.id], orgKey)).code).toBe(65);
  });

  it("logs query, get and usage", async () => {
    await eventually(async () => (await sdk().logs.query({ limit: 2 }).first()).data.length === 2, 10_000, 100);
    const page = json(await datahub(["logs", "query", "--limit", "2", "--json"], orgKey));
    expect(page.data).toHaveLength(2);
    const one = json(await datahub(["logs", "get", page.data[0].requestId, "--json"], orgKey));
    expect(one).toEqual((await call(stack.edgeUrl, "GET", `/v1/logs/${page.data[0].requestId}`, { key: orgKey.DATAHUB_API_KEY })).json);
    const usage = json(await datahub(["usage", "--granularity", "hour", "--json"], orgKey));
    expect(usage.data.at(-1).requests).toBeGreaterThan(0);
  });

  it("logs tail prints new requests, not its own polls, and stops on Ctrl-C with 0", async () => {
    const child = spawn(process.execPath, [CLI, "logs", "tail", "--interval", "500"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...orgKey, DATAHUB_ENV_FILE: ENV_FILE },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const marker = `/v1/keys/${keyId}`;
      await eventually(async () => {
        await call(stack.edgeUrl, "GET", marker, { key: orgKey.DATAHUB_API_KEY });
        return out.includes(marker);
      }, 15_000, 700);
      expect(out).not.toContain("/v1/logs");
      expect(err).toBe("");
    } finally {
      child.kill("SIGINT");
    }
    const started = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  const sdk = () => createDataHubClient({ url: stack.edgeUrl, key: orgKey.DATAHUB_API_KEY! });
});

describe("database commands", () => {
  it("HTTP commands and migrate status create nothing", async () => {
    const env = { ...root, DATABASE_URL: ghostUrl };
    expect((await datahub(["orgs", "list"], env)).code).toBe(0);
    const status = await datahub(["migrate", "status", "--json"], { DATABASE_URL: ghostUrl });
    expect(status.code).toBe(0);
    const rows = json(status);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.every((r: { applied: boolean }) => !r.applied)).toBe(true);
    expect(await databaseExists(ghostDb)).toBe(false);
  });

  it("migrate status lists what the stack applied", async () => {
    const r = await datahub(["migrate", "status"], stack.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SERVICE +MIGRATION +STATE/);
    expect(r.stdout).toMatch(/auth +0001_init +applied/);
    expect(r.stdout).not.toContain("pending");
    expect(r.stderr).toBe("the database is up to date\n");
  });

  it("root-key reset revokes the lost root key and prints a working new one", async () => {
    const r = await datahub(["root-key", "reset"], stack.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dhr_\w+\n$/);
    const fresh = r.stdout.trim();
    expect((await call(stack.edgeUrl, "GET", "/v1/orgs", { key: fresh })).status).toBe(200);
    await eventually(async () => (await call(stack.edgeUrl, "GET", "/v1/orgs", { key: stack.rootKey })).status === 401, 5_000, 100);
  });
});
