/**
 * `datahub start` without a datahub.yaml (the default path, DATAHUB_CONFIG unset) watches for one:
 * created later, its routes serve within about a second; removed, the last table keeps serving
 * with a warning, on the change and on every SIGHUP.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "@datahub/runtime";
import { createTestDatabase, eventually, testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import { startEchoServer, type EchoServer } from "../../packages/cli/src/commands/echo";
import { call, createOrgAndKey, spawnDatahub, type DatahubProcess } from "../support/stack";

let echo: EchoServer | undefined;
let gateway: DatahubProcess | undefined;
let drop: (() => Promise<void>) | undefined;
let edgeUrl = "";
let rootKey = "";
const dir = mkdtempSync(join(tmpdir(), "datahub-cwd-"));

beforeAll(async () => {
  echo = await startEchoServer({ port: 0 });
  const db = await createTestDatabase();
  drop = db.drop;
  rootKey = generateApiKey("dhr");
  const env = await testEnv({ databaseUrl: db.url, redisPrefix: `dhw${uniqueSuffix()}`, extra: { DATAHUB_ROOT_KEY: rootKey, LOG_LEVEL: "info" } });
  // The case under test: no DATAHUB_CONFIG, so ./datahub.yaml of the process's directory.
  delete env.DATAHUB_CONFIG;
  gateway = await spawnDatahub(env, 20000, dir);
  edgeUrl = `http://127.0.0.1:${env.DATAHUB_EDGE_PORT}`;
}, 60000);

afterAll(async () => {
  await gateway?.stop();
  await drop?.();
  await echo?.close();
});

const count = (text: string, needle: string) => text.split(needle).length - 1;

test("created after start → live within ~1 s; removed → last table kept and a warning, on change and on SIGHUP", async () => {
  const { key } = await createOrgAndKey({ edgeUrl, rootKey });
  expect(gateway!.output()).toContain("no routes file yet");
  expect((await call(edgeUrl, "GET", "/echo", { key: key.key })).status).toBe(404);

  const created = Date.now();
  writeFileSync(join(dir, "datahub.yaml"), `routes:\n  - { name: echo, path: /echo, upstream: '${echo!.url}' }\n`);
  await eventually(async () => (await call(edgeUrl, "GET", "/echo", { key: key.key })).status === 200, 3000, 20);
  expect(Date.now() - created).toBeLessThan(1500);
  expect(gateway!.output()).toContain("proxy routes reloaded");

  rmSync(join(dir, "datahub.yaml"));
  await eventually(() => gateway!.output().includes("routes file is gone; keeping the previous table"), 3000);
  const before = count(gateway!.output(), "routes file is gone");
  gateway!.child.kill("SIGHUP");
  await eventually(() => count(gateway!.output(), "routes file is gone") > before, 3000);
  const res = await call(edgeUrl, "GET", "/echo/still", { key: key.key });
  expect(res.status).toBe(200);
  expect(res.json.path).toBe("/echo/still");
}, 60000);
