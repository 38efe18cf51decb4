/**
 * `datahub echo`: answers with the method, path, query, headers and body it received; a bad
 * command line is one line and exit 64.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { startEchoServer, type EchoServer } from "../src/commands/echo";

const BIN = join(new URL("..", import.meta.url).pathname, "bin/datahub.js");
let echo: EchoServer;

beforeAll(async () => {
  echo = await startEchoServer({ port: 0 });
});
afterAll(() => echo.close());

test("a request comes back as JSON: method, path, repeated query values, headers, body", async () => {
  const res = await fetch(`${echo.url}/echo/a%20b?x=1&y=2&y=3`, {
    method: "POST",
    headers: { "x-datahub-key-id": "key_1", "content-type": "text/plain" },
    body: "hello",
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(await res.json()).toMatchObject({
    method: "POST",
    path: "/echo/a%20b",
    query: { x: "1", y: ["2", "3"] },
    headers: { "x-datahub-key-id": "key_1", "content-type": "text/plain" },
    body: "hello",
    bodyBytes: 5,
  });
});

test("a large body is counted, and echoed only up to 64 KiB", async () => {
  const res = await fetch(echo.url, { method: "PUT", body: "x".repeat(100_000) });
  const json = (await res.json()) as { body: string; bodyBytes: number };
  expect(json.bodyBytes).toBe(100_000);
  expect(json.body.length).toBe(64 * 1024);
});

test.each([
  [["echo", "--port", "http"], /^datahub: --port: expected 0-65535, got "http"$/],
  [["echo", "--port", "70000"], /^datahub: --port: expected 0-65535/],
  [["echo", "--colour"], /^datahub: unknown option '--colour'/i],
])("datahub %j: one line, exit 64", (args, message) => {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 20_000 });
  expect(run.status).toBe(64);
  expect(run.stderr.trim()).toMatch(message);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
});
