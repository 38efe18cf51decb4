import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { auth } from "@datahub/proto";
import { createPgPool, generateApiKey, GrpcStatus, hashApiKey, isServiceError, Registry, type Config } from "@datahub/runtime";
import { freePort, testConfig } from "@datahub/runtime/testing";
import { openAuthResources } from "../src/admin";
import { StoreUnavailableError } from "../src/errors";
import { NoopInvalidationPublisher } from "../src/invalidation";
import { KeyManager } from "../src/key-manager";
import { toRpcError } from "../src/server";
import { PgKeyStore } from "../src/store/pg-key-store";
import { newOrg, startAuth, type AuthHarness } from "./auth-harness";

/** The gRPC status and message of a failed call. */
async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (err) {
    if (isServiceError(err)) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error("expected the call to fail");
}

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth();
});
afterAll(() => h.close());

describe("bad input → INVALID_ARGUMENT naming the field", () => {
  it.each([
    ["name", { name: "" }],
    ["name", { name: "x".repeat(201) }],
    ["scopes[0]", { name: "k", scopes: ["BAD SCOPE"] }],
    ["metadata", { name: "k", metadata: { blob: "x".repeat(5000) } }],
    ["expiresAt", { name: "k", expiresAt: timestampFromMs(Date.now() - 1000) }],
    ["rateLimit.limit", { name: "k", rateLimit: { limit: 0n, windowSeconds: 1n } }],
    ["rateLimit.windowSeconds", { name: "k", rateLimit: { limit: 1n, windowSeconds: 90000n } }],
    ["rateLimit.algorithm", { name: "k", rateLimit: { limit: 1n, windowSeconds: 1n, algorithm: "token-bucket" } }],
    // Above the sliding log's cap (DATAHUB_RATELIMIT_MAX_LOG_LIMIT, 10,000): refused here, not
    // accepted and then never enforced. An empty algorithm means the default, the sliding log.
    ["rateLimit.limit", { name: "k", rateLimit: { limit: 10_001n, windowSeconds: 60n, algorithm: "sliding-log" } }],
    ["rateLimit.limit", { name: "k", rateLimit: { limit: 10_001n, windowSeconds: 60n } }],
  ])("createKey with a bad %s", async (field, req) => {
    const orgId = await newOrg(h);
    const f = await failure(h.client.createKey({ orgId, ...req }));
    expect(f.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(f.details.startsWith(`${field}:`)).toBe(true);
  });

  it("accepts a limit above the sliding log's cap for an O(1) algorithm", async () => {
    const orgId = await newOrg(h);
    const { apiKey } = await h.client.createKey({ orgId, name: "k", rateLimit: { limit: 1_000_000n, windowSeconds: 60n, algorithm: "gcra" } });
    expect(apiKey!.rateLimit!.limit).toBe(1_000_000n);
  });

  it("list limit, cursor, ids, grace, conflicting update flags", async () => {
    const orgId = await newOrg(h);
    const { apiKey } = await h.client.createKey({ orgId, name: "k" });
    const cases: Array<[Promise<unknown>, string]> = [
      [h.client.listKeys({ orgId, limit: 500 }), "limit"],
      [h.client.listKeys({ orgId, cursor: "not-a-cursor" }), "cursor"],
      [h.client.listKeys({ orgId: "" }), "orgId"],
      [h.client.getKey({ orgId, id: "42" }), "id"],
      [h.client.rotateKey({ orgId, id: apiKey!.id, gracePeriodSeconds: 8 * 86400 }), "gracePeriodSeconds"],
      [h.client.updateKey({ orgId, id: apiKey!.id, clearExpiresAt: true, expiresAt: timestampFromMs(Date.now() + 60_000) }), "expiresAt"],
      [h.client.createOrg({ name: "" }), "name"],
    ];
    for (const [call, field] of cases) {
      const f = await failure(call);
      expect([f.code, f.details.split(":")[0]]).toEqual([GrpcStatus.INVALID_ARGUMENT, field]);
    }
  });
});

describe("missing and foreign objects → NOT_FOUND; wrong state → FAILED_PRECONDITION", () => {
  it("another org's key does not exist for the caller", async () => {
    const a = await newOrg(h);
    const b = await newOrg(h);
    const { apiKey, key } = await h.client.createKey({ orgId: a, name: "secret-of-a" });
    const id = apiKey!.id;
    for (const call of [
      h.client.getKey({ orgId: b, id }),
      h.client.updateKey({ orgId: b, id, name: "pwned" }),
      h.client.revokeKey({ orgId: b, id }),
      h.client.rotateKey({ orgId: b, id }),
    ]) {
      expect((await failure(call)).code).toBe(GrpcStatus.NOT_FOUND);
    }
    expect((await h.client.listKeys({ orgId: b })).apiKeys).toEqual([]);
    expect((await h.client.verifyKey({ key })).code).toBe(auth.VerifyCode.VALID);
    expect((await h.client.getKey({ orgId: a, id })).apiKey!.name).toBe("secret-of-a");
  });

  it("unknown org and unknown key", async () => {
    expect((await failure(h.client.createKey({ orgId: "01900000-0000-7000-8000-000000000000", name: "k" }))).code).toBe(GrpcStatus.NOT_FOUND);
    const orgId = await newOrg(h);
    expect((await failure(h.client.revokeKey({ orgId, id: "01900000-0000-7000-8000-000000000000" }))).code).toBe(GrpcStatus.NOT_FOUND);
  });

  it("a revoked key cannot be updated or rotated", async () => {
    const orgId = await newOrg(h);
    const { apiKey } = await h.client.createKey({ orgId, name: "k" });
    await h.client.revokeKey({ orgId, id: apiKey!.id });
    expect((await failure(h.client.updateKey({ orgId, id: apiKey!.id, name: "x" }))).code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect((await failure(h.client.rotateKey({ orgId, id: apiKey!.id }))).code).toBe(GrpcStatus.FAILED_PRECONDITION);
  });
});

describe("dependencies down", () => {
  it("Postgres unreachable: StoreUnavailableError → UNAVAILABLE, fast, no crash", async () => {
    const port = await freePort(); // nothing listens there
    const pool = createPgPool(`postgres://postgres@127.0.0.1:${port}/nope`, { applicationName: "auth-test" }, h.logs.logger);
    const keys = new KeyManager({ store: new PgKeyStore(pool), publisher: new NoopInvalidationPublisher(), logger: h.logs.logger });
    const started = Date.now();
    const err = await keys.verifyKey(generateApiKey()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((toRpcError(err, h.logs.logger) as { code: number }).code).toBe(GrpcStatus.UNAVAILABLE);
    await expect(keys.createKey({ orgId: "01900000-0000-7000-8000-000000000000", name: "k" })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(keys.listOrgs()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
    // Malformed keys are still answered: no lookup is needed.
    await expect(keys.verifyKey("dh_nope")).resolves.toMatchObject({ code: "MALFORMED" });
    await pool.end();
  });

  it("Redis unreachable: the change commits, the failure is logged and counted", async () => {
    const orgId = await newOrg(h);
    const { apiKey, key } = await h.client.createKey({ orgId, name: "k" });
    const config: Config = testConfig({ DATABASE_URL: h.db.url, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const registry = new Registry();
    const res = openAuthResources(config, h.logs.logger, registry, "auth-test");
    try {
      const started = Date.now();
      await res.keys.revokeKey(orgId, apiKey!.id);
      expect(Date.now() - started).toBeLessThan(2500);
      expect((await h.client.verifyKey({ key })).code).toBe(auth.VerifyCode.REVOKED);
      const metric = await registry.getSingleMetric("datahub_auth_invalidations_total")!.get();
      expect(metric.values.find((v) => v.labels.outcome === "failed")?.value).toBe(1);
      expect(h.logs.text()).toContain("could not publish key invalidation");
      expect(h.logs.text()).toContain(hashApiKey(key));
    } finally {
      await res.close();
    }
  });

  // Last: stops the service's pool under a live gRPC server.
  it("Postgres gone under a running service: RPCs answer UNAVAILABLE, not NOT_FOUND or INTERNAL", async () => {
    const orgId = await newOrg(h);
    const { key } = await h.client.createKey({ orgId, name: "k" });
    await h.runner.modules.get("auth")!.stop!();
    const f = await failure(h.client.verifyKey({ key }));
    expect(f.code).toBe(GrpcStatus.UNAVAILABLE);
    expect((await failure(h.client.listOrgs({}))).code).toBe(GrpcStatus.UNAVAILABLE);
    expect((await h.runner.health.report()).checks.postgres).toBe(false);
  });
});
