/**
 * TLS on the internal gRPC port (DATAHUB_GRPC_TLS_*), over the real wire with certificates made
 * by openssl for this run: server TLS, mutual TLS when a CA is given, and that TLS does not
 * replace the bearer credential.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials as grpcCredentials } from "@grpc/grpc-js";
import { ratelimit } from "@datahub/proto";
import { createRpcClient, GrpcStatus, internalCredentials, loadConfig, startRunner, type Config, type DatahubModule, type Runner, type RpcCredentials } from "@datahub/runtime";
import { captureLogger, TEST_INTERNAL_TOKEN, testEnv, uniqueSuffix } from "@datahub/runtime/testing";

const dir = mkdtempSync(join(tmpdir(), "grpc-tls-"));
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: "ignore" });
}

/** A certificate for 127.0.0.1/localhost signed by the run's CA (server and client use alike). */
function issue(name: string): void {
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", file(`${name}.key`), "-out", file(`${name}.csr`), "-subj", `/CN=${name}`);
  writeFileSync(file(`${name}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  openssl("x509", "-req", "-in", file(`${name}.csr`), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file(`${name}.pem`), "-days", "1", "-extfile", file(`${name}.ext`));
}

/** A module serving a RateLimitService that allows everything (the check under test is the port's). */
const allowAll: DatahubModule = {
  name: "allow-all",
  requires: ["grpc"],
  async start(ctx) {
    ctx.grpc.addService(ratelimit.RateLimitService, {
      check: async (req) => ({ decisions: req.descriptors.map((d) => ({ allowed: true, limit: d.limit, remaining: d.limit })) }),
      checkBatchStream: async () => ({ responses: [] }),
    });
  },
};

const request = { descriptors: [{ key: "k", limit: 1n, windowMs: 1000n }] };

async function serve(tls: Record<string, string>): Promise<{ runner: Runner; config: Config; address: string }> {
  const env = await testEnv({ databaseUrl: "postgres://postgres@127.0.0.1:5432/unused", redisPrefix: `tls${uniqueSuffix()}`, extra: { DATAHUB_TARGET: "auth", ...tls } });
  const config = { ...loadConfig(env), targets: ["allow-all"] as never };
  const runner = await startRunner({ config, modules: [allowAll], logger: captureLogger("warn").logger });
  return { runner, config, address: `127.0.0.1:${runner.ports.grpc}` };
}

async function codeOf(address: string, credentials: RpcCredentials): Promise<number> {
  const c = createRpcClient(ratelimit.RateLimitService, address, { timeoutMs: 3000, credentials });
  try {
    await c.check(request);
    return 0;
  } catch (e) {
    return (e as { code: number }).code;
  } finally {
    c.close();
  }
}

beforeAll(() => {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "1", "-subj", "/CN=datahub-test-ca");
  issue("server");
  issue("client");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("internal gRPC over TLS", () => {
  it("with a CA, requires a client certificate signed by it (mutual TLS), and still the bearer credential", async () => {
    const { runner, config, address } = await serve({ DATAHUB_GRPC_TLS_CERT: file("server.pem"), DATAHUB_GRPC_TLS_KEY: file("server.key"), DATAHUB_GRPC_TLS_CA: file("ca.pem") });
    try {
      // What a DataHub process with the same settings presents: CA, its certificate, the token.
      expect(await codeOf(address, internalCredentials(config))).toBe(0);
      const client = internalCredentials({ ...config, grpcTls: { cert: file("client.pem"), key: file("client.key"), ca: file("ca.pem") } });
      expect(await codeOf(address, client)).toBe(0);
      // TLS without a client certificate, plaintext, or the right certificate without the token: refused.
      expect(await codeOf(address, { bearer: TEST_INTERNAL_TOKEN, channel: grpcCredentials.createSsl(readFileSync(file("ca.pem"))) })).toBe(GrpcStatus.UNAVAILABLE);
      expect(await codeOf(address, { bearer: TEST_INTERNAL_TOKEN })).toBe(GrpcStatus.UNAVAILABLE);
      expect(await codeOf(address, { channel: client.channel })).toBe(GrpcStatus.UNAUTHENTICATED);
    } finally {
      await runner.stop();
    }
  });

  it("with a certificate only, serves TLS to clients that verify it, with no client certificate", async () => {
    const { runner, config, address } = await serve({ DATAHUB_GRPC_TLS_CERT: file("server.pem"), DATAHUB_GRPC_TLS_KEY: file("server.key") });
    try {
      const verifying = internalCredentials({ ...config, grpcTls: { ca: file("ca.pem") } });
      expect(await codeOf(address, verifying)).toBe(0);
      // A client that does not trust the CA (system roots only) does not get through.
      expect(await codeOf(address, internalCredentials({ ...config, grpcTls: {} }))).toBe(GrpcStatus.UNAVAILABLE);
    } finally {
      await runner.stop();
    }
  });

  it("stops start-up with one line naming the variable when a TLS file cannot be used", async () => {
    const env = await testEnv({ databaseUrl: "postgres://postgres@127.0.0.1:5432/unused", redisPrefix: `tls${uniqueSuffix()}`, extra: { DATAHUB_TARGET: "auth" } });
    expect(() => loadConfig({ ...env, DATAHUB_GRPC_TLS_CERT: file("server.pem") })).toThrow(/^invalid DATAHUB_GRPC_TLS_CERT\/DATAHUB_GRPC_TLS_KEY: set both or neither$/);
    expect(() => loadConfig({ ...env, DATAHUB_GRPC_TLS_CA: file("missing.pem") })).toThrow(/^invalid DATAHUB_GRPC_TLS_CA: file not found/);
  });
});
