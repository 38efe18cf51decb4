/**
 * HTTPS: with DATAHUB_TLS_CERT/KEY the edge serves TLS 1.3 only, and gateway responses carry HSTS.
 * The edge runs alone here (services unreachable): /healthz needs none of them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { Agent, request } from "undici";
import { loadConfig, startRunner, type Runner } from "@datahub/runtime";
import { captureLogger, freePort, testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import { edgeModule } from "../src/index";

let runner: Runner;
let port: number;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-tls-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
  const dead = `127.0.0.1:${await freePort()}`;
  const env = await testEnv({
    databaseUrl: "postgres://postgres@127.0.0.1:5432/unused",
    redisPrefix: `edgetls${uniqueSuffix()}`,
    extra: { DATAHUB_TARGET: "edge", DATAHUB_TLS_CERT: cert, DATAHUB_TLS_KEY: key, DATAHUB_AUTH_ADDR: dead, DATAHUB_RATELIMIT_ADDR: dead, DATAHUB_AUDIT_ADDR: dead, DATAHUB_WEBHOOKS_ADDR: dead },
  });
  runner = await startRunner({ config: loadConfig(env), modules: [edgeModule], logger: captureLogger("warn").logger });
  port = runner.modules.get("edge")!.info!.port as number;
}, 30_000);

afterAll(async () => {
  await runner?.stop();
});

test("serves HTTPS with HSTS on gateway responses", async () => {
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  const res = await request(`https://127.0.0.1:${port}/healthz`, { dispatcher });
  expect(res.statusCode).toBe(200);
  expect(res.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
  await res.body.text();
  await dispatcher.close();
});

test("refuses TLS 1.2 clients", async () => {
  const outcome = await new Promise<string>((resolve) => {
    const s = connect({ host: "127.0.0.1", port, maxVersion: "TLSv1.2", rejectUnauthorized: false }, () => {
      resolve(`connected with ${s.getProtocol()}`);
      s.end();
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  expect(outcome).not.toMatch(/^connected/);
});

test("a key presented while auth is unreachable gets 503, not 401", async () => {
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  const { generateApiKey } = await import("@datahub/runtime");
  const res = await request(`https://127.0.0.1:${port}/anything`, { dispatcher, headers: { authorization: `Bearer ${generateApiKey()}` } });
  expect(res.statusCode).toBe(503);
  expect(((await res.body.json()) as { status: number }).status).toBe(503);
  await dispatcher.close();
});
