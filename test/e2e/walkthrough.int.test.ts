/**
 * The README walkthrough, run as written: its `<!-- walkthrough -->` shell block goes to bash
 * against a real `datahub start` (a child process, as the quick start runs it) with the quick
 * start's datahub.yaml and `datahub echo` upstream. Only ROOT, DH and ECHO come from the test,
 * through the environment, as a user sets them by hand. Needs curl and jq on PATH
 * (scripts/ensure-tools.sh installs jq; this test installs nothing).
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "@datahub/runtime/testing";
import { startEchoServer, type EchoServer } from "../../packages/cli/src/commands/echo";
import { readmeShellBlocks } from "../support/readme-blocks";
import { call, startProcessStack, type Stack } from "../support/stack";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Runs a bash script; resolves with its exit code and output. */
function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", script], { env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function requireTool(name: string, hint: string): void {
  try {
    execFileSync("bash", ["-c", `command -v ${name}`], { stdio: "ignore" });
  } catch {
    throw new Error(`the README walkthrough needs ${name} on PATH; ${hint}`);
  }
}

let stack: Stack | undefined;
let echo: EchoServer | undefined;

beforeAll(async () => {
  requireTool("jq", "install it with scripts/ensure-tools.sh (npm test's pretest step) or apt-get install jq");
  requireTool("curl", "install it with apt-get install curl");
  echo = await startEchoServer({ port: 0 });
  // The quick start's file, pointed at this test's echo port (as quickstart.sh does for DATAHUB_ECHO_PORT).
  const routes = readFileSync(join(ROOT, "examples/datahub.yaml"), "utf8").replace("http://127.0.0.1:9000", echo.url);
  if (!routes.includes(echo.url)) throw new Error("examples/datahub.yaml no longer routes to http://127.0.0.1:9000");
  stack = await startProcessStack({ split: false, routes, env: { DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8" } });
}, 60000);

afterAll(async () => {
  await stack?.stop();
  await echo?.close();
});

test("the README walkthrough works when pasted: org, keys, proxied request, 429, logs, usage, webhook delivery", async () => {
  const [block, ...more] = readmeShellBlocks("walkthrough");
  expect(more).toEqual([]);
  // -e: a step that fails stops the run here rather than being noticed three steps later;
  // -u: a variable the block forgot to set is an error, not an empty string.
  const report = `\necho "@@ $(jq -cn --arg org "$ORG" --arg app "$APP_ID" --arg ops "$OPS_KEY" --arg wh "$WH" '{org: $org, appId: $app, opsKey: $ops, webhook: $wh}')"\n`;
  const run = await bash(`set -euo pipefail\n${block}${report}`, { ROOT: stack!.rootKey, DH: stack!.edgeUrl, ECHO: echo!.url });
  const context = `--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
  expect({ code: run.code, context }).toEqual({ code: 0, context });
  const vars = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@ "))!.slice(3)) as { org: string; appId: string; opsKey: string; webhook: string };

  // 1-2: the org and keys were created (201s; a failed call would have left "null").
  const orgs = await call(stack!.edgeUrl, "GET", "/v1/orgs", { key: stack!.rootKey });
  expect(orgs.json.data.map((o: { id: string }) => o.id)).toContain(vars.org);
  expect(vars.appId).toMatch(/\S/);
  expect(vars.opsKey).toMatch(/^dh_/);
  expect(vars.webhook).not.toBe("null");

  // 3: the upstream saw the key id and org id, not the key.
  expect(run.stdout).toContain(`"keyId": "${vars.appId}"`);
  expect(run.stdout).toContain(`"orgId": "${vars.org}"`);
  expect(run.stdout).toContain(`"path": "/echo/hello"`);

  // 4: the fifth request after step 3 is over the route's 5 per minute.
  expect(run.stdout).toContain("200 200 200 200 429 429");
  expect(run.stdout).toMatch(/^HTTP\/1\.1 429/m);
  expect(run.stdout).toMatch(/^retry-after: \d+/im);

  // 5-6: log rows and a usage bucket with the 429s, as printed and as the API has them.
  expect(run.stdout).toMatch(/ 429 GET \/echo /);
  const ops = { key: vars.opsKey };
  const logs = await call(stack!.edgeUrl, "GET", `/v1/logs?keyId=${vars.appId}`, ops);
  expect(logs.json.data.map((r: { status: number }) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  expect(run.stdout).toMatch(/"rateLimited":[1-9]/);
  const usage = await call(stack!.edgeUrl, "GET", `/v1/usage?granularity=minute&keyId=${vars.appId}`, ops);
  const used = usage.json.data.filter((b: { requests: number }) => b.requests > 0);
  expect(used.reduce((n: number, b: { requests: number }) => n + b.requests, 0)).toBe(8);
  expect(used.reduce((n: number, b: { rateLimited: number }) => n + b.rateLimited, 0)).toBe(3);

  // 7: the event reached the echo upstream.
  expect(run.stdout).toMatch(/"eventType":"order.created","status":"succeeded","attempts":1,"lastStatusCode":200/);
  await eventually(async () => {
    const deliveries = await call(stack!.edgeUrl, "GET", `/v1/webhooks/${vars.webhook}/deliveries`, ops);
    return deliveries.json.data[0]?.status === "succeeded";
  }, 5000);
}, 90000);
