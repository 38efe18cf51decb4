/**
 * The publishable build (`npm run build -w @datahub/client`): plain Node — no tsx, no bundler —
 * loads the built package and gets typed errors from a real HTTP exchange, and a TypeScript
 * consumer with Node's own module resolution type-checks against its declarations.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";

const ROOT = new URL("../../..", import.meta.url).pathname;
let dist: string;
let server: Server;
let url: string;

beforeAll(async () => {
  // Under the repository's node_modules, so the built files resolve openapi-fetch as a consumer's would.
  mkdirSync(join(ROOT, "node_modules/.cache"), { recursive: true });
  dist = mkdtempSync(join(ROOT, "node_modules/.cache/client-dist-"));
  execFileSync(process.execPath, [join(ROOT, "packages/client/scripts/build.mjs"), dist], { stdio: "ignore" });
  server = createServer((req, res) => {
    res.writeHead(401, { "content-type": "application/problem+json", "x-request-id": "req-1" }).end(
      JSON.stringify({ type: "https://datahub.dev/problems/unauthorized", title: "Unauthorized", status: 401, detail: "A valid API key is required.", requestId: "req-1" }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dist, { recursive: true, force: true });
});

it("runs in plain Node: a refused call throws a DataHubError with the problem's fields", async () => {
  const script = `
    import { createDataHubClient, DataHubError } from ${JSON.stringify(join(dist, "index.js"))};
    const client = createDataHubClient({ url: ${JSON.stringify(url)}, key: "dh_wrong" });
    try { await client.orgs.list(); console.log("no error"); }
    catch (e) { console.log(JSON.stringify({ typed: e instanceof DataHubError, status: e.status, slug: e.slug, requestId: e.requestId })); }`;
  // Asynchronous: the stub server answers from this process's event loop.
  const run = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
  expect(run.stderr).toBe("");
  expect(JSON.parse(run.stdout)).toEqual({ typed: true, status: 401, slug: "unauthorized", requestId: "req-1" });
});

it("type-checks a consumer that resolves modules as Node does", () => {
  writeFileSync(
    join(dist, "consumer.ts"),
    `import { createDataHubClient, DataHubError, type Key } from "./index.js";
     const c = createDataHubClient({ url: "http://127.0.0.1:1", key: "dh_x" });
     export async function names(): Promise<string[]> { const out: string[] = []; for await (const k of c.keys.list()) out.push((k satisfies Key).name); return out; }
     export const isProblem = (e: unknown): e is DataHubError => e instanceof DataHubError;\n`,
  );
  writeFileSync(
    join(dist, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { noEmit: true, strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2023", "dom"], types: [] }, files: ["consumer.ts"] }),
  );
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", join(dist, "tsconfig.json")], { encoding: "utf8", timeout: 60_000 });
  expect(run.stdout + run.stderr).toBe("");
  expect(run.status).toBe(0);
}, 60_000);
