/**
 * The internal gRPC port as an attacker and as an outside caller see it (docs/security.md,
 * "Internal gRPC"), over the real wire against every service in one process: no credential, a
 * wrong one, API keys with and without `auth:verify` / `ratelimit:check`, the internal token, a
 * rotation, revocation, and what the metrics and logs say about it.
 */
import * as grpc from "@grpc/grpc-js";
import { auth, ratelimit } from "@datahub/proto";
import { createRpcClient, generateApiKey, GrpcStatus, isWellFormedApiKey, loadConfig, startRunner, type Logger, type RpcCredentials } from "@datahub/runtime";
import { captureLogger, eventually, freePort, TEST_INTERNAL_TOKEN } from "@datahub/runtime/testing";
import { ALL_MODULES } from "../../packages/cli/src/modules";
import { call, createOrgAndKey, startStack, startUpstream, type Stack } from "../support/stack";

let stack: Stack;
let grpcAddress: string;
const clients: Array<{ close(): void }> = [];

function clientsWith(credentials: RpcCredentials | undefined, address = grpcAddress) {
  const a = createRpcClient(auth.AuthService, address, { timeoutMs: 5000, credentials });
  const r = createRpcClient(ratelimit.RateLimitService, address, { timeoutMs: 5000, credentials });
  clients.push(a, r);
  return { auth: a, ratelimit: r };
}

/** The gRPC status code a call ends with (0 for OK). */
async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    return (e as { code: number }).code;
  }
}

const checkRequest = { descriptors: [{ key: "{internal-auth}:k", limit: 10n, windowMs: 60_000n }] };

async function keyWith(scopes: string[]): Promise<{ key: string; id: string; orgId: string }> {
  const { key } = await createOrgAndKey(stack, { scopes });
  return key;
}

beforeAll(async () => {
  stack = await startStack();
  grpcAddress = `127.0.0.1:${stack.env.DATAHUB_GRPC_PORT}`;
});
afterAll(async () => {
  clients.forEach((c) => c.close());
  await stack.stop();
});

describe("internal gRPC port", () => {
  it("answers no credential, a wrong token and a malformed or unknown key with UNAUTHENTICATED on every RPC", async () => {
    for (const credentials of [undefined, { bearer: "not-the-token-0123456789abcdefghijkl" }, { bearer: "dh_short" }, { bearer: "dh_" + "a".repeat(38) }]) {
      const c = clientsWith(credentials);
      expect(await codeOf(c.auth.listOrgs({}))).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(await codeOf(c.auth.createKey({ orgId: "00000000-0000-0000-0000-000000000000", name: "x", scopes: ["*"] }))).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(await codeOf(c.auth.verifyKey({ key: stack.rootKey }))).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(await codeOf(c.ratelimit.check(checkRequest))).toBe(GrpcStatus.UNAUTHENTICATED);
    }
    const { key } = await createOrgAndKey(stack, { scopes: ["*"] });
    // A well-formed key (valid checksum) that does not exist: same answer. Editing one character
    // of a real key was flaky: when that character was already the replacement, the "unknown"
    // key was the real one.
    const unknown = generateApiKey();
    expect(isWellFormedApiKey(unknown) && unknown !== key.key).toBe(true);
    expect(await codeOf(clientsWith({ bearer: unknown }).auth.verifyKey({ key: key.key }))).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  it("lets the internal token call every RPC", async () => {
    const c = clientsWith({ bearer: TEST_INTERNAL_TOKEN });
    const orgs = await c.auth.listOrgs({});
    expect(orgs.orgs.length).toBeGreaterThan(0);
    const verified = await c.auth.verifyKey({ key: stack.rootKey });
    expect(verified.valid).toBe(true);
    expect((await c.ratelimit.check(checkRequest)).decisions[0]!.allowed).toBe(true);
  });

  it("lets an API key call VerifyKey with auth:verify and Check with ratelimit:check, and nothing else", async () => {
    const verifier = clientsWith({ bearer: (await keyWith(["auth:verify"])).key });
    const checker = clientsWith({ bearer: (await keyWith(["ratelimit:check"])).key });
    const both = clientsWith({ bearer: (await keyWith(["*"])).key });
    const neither = clientsWith({ bearer: (await keyWith(["orders:read"])).key });

    expect((await verifier.auth.verifyKey({ key: stack.rootKey })).valid).toBe(true);
    expect(await codeOf(verifier.ratelimit.check(checkRequest))).toBe(GrpcStatus.PERMISSION_DENIED);
    expect((await checker.ratelimit.check(checkRequest)).decisions).toHaveLength(1);
    expect(await codeOf(checker.auth.verifyKey({ key: stack.rootKey }))).toBe(GrpcStatus.PERMISSION_DENIED);
    expect((await both.auth.verifyKey({ key: stack.rootKey })).valid).toBe(true);
    expect((await both.ratelimit.check(checkRequest)).decisions).toHaveLength(1);
    for (const c of [verifier, checker, both, neither]) {
      expect(await codeOf(c.auth.listOrgs({}))).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(await codeOf(c.auth.createKey({ orgId: "00000000-0000-0000-0000-000000000000", name: "x", scopes: ["*"] }))).toBe(GrpcStatus.PERMISSION_DENIED);
      expect(await codeOf(c.ratelimit.checkBatchStream({ requests: [checkRequest] }))).toBe(GrpcStatus.PERMISSION_DENIED);
    }
    expect(await codeOf(neither.auth.verifyKey({ key: stack.rootKey }))).toBe(GrpcStatus.PERMISSION_DENIED);
    // The root key is a key: it does not become the internal token.
    expect(await codeOf(clientsWith({ bearer: stack.rootKey }).auth.listOrgs({}))).toBe(GrpcStatus.PERMISSION_DENIED);
  });

  it("stops a revoked key within a second, through the same pushed invalidation as the edge", async () => {
    const key = await keyWith(["auth:verify"]);
    const c = clientsWith({ bearer: key.key });
    expect((await c.auth.verifyKey({ key: stack.rootKey })).valid).toBe(true); // now cached
    expect((await call(stack.edgeUrl, "DELETE", `/v1/keys/${key.id}?orgId=${key.orgId}`, { key: stack.rootKey })).status).toBe(204);
    const t0 = Date.now();
    await eventually(async () => (await codeOf(c.auth.verifyKey({ key: stack.rootKey }))) === GrpcStatus.UNAUTHENTICATED, 1000, 20);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("leaves health checks open and counts every check by service, method and outcome, never showing a credential", async () => {
    const plain = new grpc.Client(grpcAddress, grpc.credentials.createInsecure());
    const serving = await new Promise<number>((resolve, reject) =>
      plain.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        () => Buffer.alloc(0),
        (b: Buffer) => b,
        {},
        (err, res) => (err ? reject(err) : resolve((res as Buffer)[1] ?? 0)),
      ),
    );
    plain.close();
    expect(serving).toBe(1); // SERVING, with no credential
    const metrics = await (await fetch(`http://127.0.0.1:${stack.env.DATAHUB_METRICS_PORT}/metrics`)).text();
    const line = (service: string, method: string, outcome: string) =>
      new RegExp(`^datahub_grpc_server_auth_total\\{service="${service}",method="${method}",outcome="${outcome}"\\} [1-9]`, "m");
    expect(metrics).toMatch(line("datahub.auth.v1.AuthService", "ListOrgs", "unauthenticated"));
    expect(metrics).toMatch(line("datahub.auth.v1.AuthService", "ListOrgs", "permission_denied"));
    expect(metrics).toMatch(line("datahub.auth.v1.AuthService", "VerifyKey", "key"));
    expect(metrics).toMatch(line("datahub.ratelimit.v1.RateLimitService", "Check", "internal"));
    expect(metrics).not.toContain(TEST_INTERNAL_TOKEN);
    expect(stack.logs()).not.toContain(TEST_INTERNAL_TOKEN);
    expect(stack.logs()).not.toMatch(/dhr?_[0-9A-Za-z]{38}/);
  });
});

describe("internal token", () => {
  it("is made up per process in all mode: the pipeline works, and a guessed or test token is refused", async () => {
    const upstream = await startUpstream();
    // The services' clients find them at 127.0.0.1:DATAHUB_GRPC_PORT: a real port, not 0.
    const env = { ...stack.env, DATAHUB_GRPC_PORT: String(await freePort()), DATAHUB_EDGE_PORT: "0", DATAHUB_METRICS_PORT: "0" };
    delete (env as Record<string, string | undefined>).DATAHUB_INTERNAL_TOKEN;
    const { logger, text } = captureLogger("info");
    const runner = await startRunner({ config: loadConfig(env), modules: ALL_MODULES, logger: logger as Logger });
    try {
      expect(runner.config.internal.generated).toBe(true);
      const edgeUrl = `http://127.0.0.1:${runner.modules.get("edge")!.info!.port}`;
      // The edge's own calls (VerifyKey, CheckBatch, AppendLogs) present the generated token.
      expect((await call(edgeUrl, "GET", "/v1/orgs", { key: stack.rootKey })).status).toBe(200);
      const c = clientsWith({ bearer: TEST_INTERNAL_TOKEN }, `127.0.0.1:${runner.ports.grpc}`);
      expect(await codeOf(c.auth.listOrgs({}))).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(text()).toContain('"internalToken":"generated"');
      expect(text()).not.toContain(runner.config.internal.tokens[0]!);
    } finally {
      await runner.stop();
      await upstream.close();
    }
  });

  it("rotates without a refused call: services accept old and new while edges move from presenting old to new", async () => {
    const OLD = TEST_INTERNAL_TOKEN;
    const NEW = `rotated-${TEST_INTERNAL_TOKEN}`;
    const base = { ...stack.env, DATAHUB_EDGE_PORT: "0", DATAHUB_METRICS_PORT: "0" };
    const { logger } = captureLogger("warn");
    // Step 1 of docs/operations.md's rotation: every service accepts both values.
    const services = await startRunner({
      config: loadConfig({ ...base, DATAHUB_TARGET: "auth,ratelimit,audit,webhooks", DATAHUB_GRPC_PORT: "0", DATAHUB_INTERNAL_TOKEN: `${OLD},${NEW}` }),
      modules: ALL_MODULES,
      logger: logger as Logger,
    });
    const address = `127.0.0.1:${services.ports.grpc}`;
    const edges: Array<Awaited<ReturnType<typeof startRunner>>> = [];
    try {
      for (const presented of [`${OLD},${NEW}`, `${NEW},${OLD}`, NEW]) {
        const edge = await startRunner({
          config: loadConfig({
            ...base,
            DATAHUB_TARGET: "edge",
            DATAHUB_INTERNAL_TOKEN: presented,
            DATAHUB_AUTH_ADDR: address,
            DATAHUB_RATELIMIT_ADDR: address,
            DATAHUB_AUDIT_ADDR: address,
            DATAHUB_WEBHOOKS_ADDR: address,
          }),
          modules: ALL_MODULES,
          logger: logger as Logger,
        });
        edges.push(edge);
        const edgeUrl = `http://127.0.0.1:${edge.modules.get("edge")!.info!.port}`;
        expect((await call(edgeUrl, "GET", "/v1/orgs", { key: stack.rootKey })).status).toBe(200);
      }
      expect(await codeOf(clientsWith({ bearer: OLD }, address).auth.listOrgs({}))).toBe(0);
      expect(await codeOf(clientsWith({ bearer: NEW }, address).auth.listOrgs({}))).toBe(0);
      expect(await codeOf(clientsWith({ bearer: `third-${OLD}` }, address).auth.listOrgs({}))).toBe(GrpcStatus.UNAUTHENTICATED);
    } finally {
      for (const e of edges) await e.stop();
      await services.stop();
    }
  });
});
