/**
 * Management API, happy paths: every endpoint answers with the shapes of docs/api/openapi.yaml.
 */
import { isWellFormedApiKey } from "@datahub/runtime";
import { audit } from "@datahub/proto";
import { orgPrincipal, startApi, type ApiHarness } from "./support/api-harness";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEY_FIELDS = ["createdAt", "expiresAt", "id", "lastUsedAt", "metadata", "name", "orgId", "prefix", "rateLimit", "revoked", "scopes"].sort();

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => {
  await h.close();
});

describe("orgs", () => {
  test("POST /v1/orgs creates an org: 201 {id, name, createdAt}", async () => {
    const r = await h.call("POST", "/v1/orgs", { json: { name: "acme" } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["createdAt", "id", "name"]);
    expect(r.body.name).toBe("acme");
    expect(r.body.createdAt).toMatch(ISO);
    expect(h.auth.orgs.has(r.body.id)).toBe(true);
    expect(h.contexts.at(-1)!.route).toBe("/v1/orgs");
  });

  test("GET /v1/orgs lists every org under data", async () => {
    await h.call("POST", "/v1/orgs", { json: { name: "acme" } });
    const r = await h.call("GET", "/v1/orgs");
    expect(r.status).toBe(200);
    expect(r.body.data.map((o: { name: string }) => o.name).sort()).toEqual(["acme", "root"]);
  });
});

describe("keys", () => {
  test("POST /v1/keys returns the full key once, with every field in contract shape", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const r = await h.call("POST", "/v1/keys", {
      json: { name: "ci", scopes: ["orders:read", "orders:read", "logs:read"], expiresAt, metadata: { team: "a" }, rateLimit: { limit: 10, windowSeconds: 60, algorithm: "gcra" } },
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual([...KEY_FIELDS, "key"].sort());
    expect(isWellFormedApiKey(r.body.key)).toBe(true);
    expect(r.body.key.slice(3, 11)).toBe(r.body.prefix);
    expect(r.body).toMatchObject({
      name: "ci",
      scopes: ["orders:read", "logs:read"],
      orgId: h.rootOrgId,
      metadata: { team: "a" },
      expiresAt,
      rateLimit: { limit: 10, windowSeconds: 60, algorithm: "gcra" },
      lastUsedAt: null,
      revoked: false,
    });
    expect(r.body.createdAt).toMatch(ISO);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.headers.get("location")).toBe(`/v1/keys/${r.body.id}`);
  });

  test("POST /v1/keys defaults: metadata {}, expiresAt null, rateLimit null; algorithm omitted is null", async () => {
    const a = await h.call("POST", "/v1/keys", { json: { name: "bare", scopes: [] } });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ metadata: {}, expiresAt: null, rateLimit: null, scopes: [] });
    const b = await h.call("POST", "/v1/keys", { json: { name: "rl", scopes: [], rateLimit: { limit: 5, windowSeconds: 1 } } });
    expect(b.body.rateLimit).toEqual({ limit: 5, windowSeconds: 1, algorithm: null });
  });

  test("root creates a key in another org via orgId", async () => {
    const org = h.auth.seedOrg("acme");
    const r = await h.call("POST", "/v1/keys", { json: { name: "acme-admin", scopes: ["*"], orgId: org.id } });
    expect(r.status).toBe(201);
    expect(r.body.orgId).toBe(org.id);
  });

  test("a keys:write key creates a key in its own org with scopes it holds", async () => {
    const org = h.auth.seedOrg("acme");
    h.as(orgPrincipal(h, org.id, ["keys:*", "orders:*"]));
    const r = await h.call("POST", "/v1/keys", { json: { name: "svc", scopes: ["orders:read", "keys:read"] } });
    expect(r.status).toBe(201);
    expect(r.body.orgId).toBe(org.id);
    expect(h.auth.calls.find((c) => c.method === "createKey")!.req.orgId).toBe(org.id);
  });

  test("GET /v1/keys pages with limit and cursor and never includes the secret", async () => {
    const org = h.auth.seedOrg("acme");
    for (let i = 0; i < 3; i++) h.auth.seedKey(org.id, ["orders:read"]);
    h.as(orgPrincipal(h, org.id, ["keys:read"]));
    const first = await h.call("GET", "/v1/keys?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(typeof first.body.nextCursor).toBe("string");
    for (const k of first.body.data) {
      expect(Object.keys(k).sort()).toEqual(KEY_FIELDS);
      expect(k.orgId).toBe(org.id);
    }
    const second = await h.call("GET", `/v1/keys?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.data).toHaveLength(2); // 3 seeded + the caller's own key
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((k: { id: string }) => k.id);
    expect(new Set(ids).size).toBe(4);
  });

  test("root lists another org's keys with ?orgId (extension)", async () => {
    const org = h.auth.seedOrg("acme");
    const { apiKey } = h.auth.seedKey(org.id, ["x"]);
    const r = await h.call("GET", `/v1/keys?orgId=${org.id}`);
    expect(r.status).toBe(200);
    expect(r.body.data.map((k: { id: string }) => k.id)).toEqual([apiKey.id]);
  });

  test("GET /v1/keys/{id} returns the key without the secret", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "one", scopes: ["a"] } });
    const r = await h.call("GET", `/v1/keys/${created.body.id}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(KEY_FIELDS);
    expect(r.text).not.toContain(created.body.key);
    expect(h.contexts.at(-1)!.route).toBe("/v1/keys/:id");
  });

  test("PATCH /v1/keys/{id} changes only the given fields; null clears expiresAt and rateLimit", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await h.call("POST", "/v1/keys", { json: { name: "one", scopes: ["a"], expiresAt, rateLimit: { limit: 1, windowSeconds: 1 }, metadata: { v: 1 } } });
    const renamed = await h.call("PATCH", `/v1/keys/${created.body.id}`, { json: { name: "two", scopes: ["b", "c:*"] } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "two", scopes: ["b", "c:*"], expiresAt, metadata: { v: 1 }, rateLimit: { limit: 1, windowSeconds: 1 } });
    expect(renamed.body.key).toBeUndefined();
    const cleared = await h.call("PATCH", `/v1/keys/${created.body.id}`, { json: { expiresAt: null, rateLimit: null, metadata: { v: 2 } } });
    expect(cleared.body).toMatchObject({ name: "two", expiresAt: null, rateLimit: null, metadata: { v: 2 } });
  });

  test("DELETE /v1/keys/{id} revokes: 204 with an empty body", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "one", scopes: [] } });
    const r = await h.call("DELETE", `/v1/keys/${created.body.id}`);
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect(h.auth.keys.get(created.body.id)!.apiKey.revoked).toBe(true);
    const after = await h.call("GET", `/v1/keys/${created.body.id}`);
    expect(after.body.revoked).toBe(true);
  });

  test("POST /v1/keys/{id}/rotate returns 201 with a new key; the grace period is passed on", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "one", scopes: ["a"] } });
    const r = await h.call("POST", `/v1/keys/${created.body.id}/rotate`, { json: { gracePeriodSeconds: 60 } });
    expect(r.status).toBe(201);
    expect(isWellFormedApiKey(r.body.key)).toBe(true);
    expect(r.body.key).not.toBe(created.body.key);
    expect(r.body.id).not.toBe(created.body.id);
    expect(r.body).toMatchObject({ name: "one", scopes: ["a"] });
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(h.auth.calls.find((c) => c.method === "rotateKey")!.req.gracePeriodSeconds).toBe(60);
    expect(h.contexts.at(-1)!.route).toBe("/v1/keys/:id/rotate");
  });

  test("rotate without a body uses grace 0", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "one", scopes: [] } });
    const r = await h.call("POST", `/v1/keys/${created.body.id}/rotate`);
    expect(r.status).toBe(201);
    expect(h.auth.calls.find((c) => c.method === "rotateKey")!.req.gracePeriodSeconds).toBe(0);
  });
});

describe("logs and usage", () => {
  const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
  let orgId: string;
  beforeEach(() => {
    orgId = h.auth.seedOrg("acme").id;
    h.audit.seed({ requestId: "r1", orgId, timestampMs: T0, keyId: "k1", status: 200, path: "/api/orders/1" });
    h.audit.seed({ requestId: "r2", orgId, timestampMs: T0 + 1000, keyId: "k2", status: 404, method: "POST", path: "/api/users" });
    h.audit.seed({ requestId: "r3", orgId, timestampMs: T0 + 2000, keyId: "k1", status: 429, path: "/api/orders/2" });
    h.audit.seed({ requestId: "r1", orgId, timestampMs: T0 + 3000, keyId: "k1", status: 201, path: "/api/orders" });
    h.as(orgPrincipal(h, orgId, ["logs:read"]));
  });

  test("GET /v1/logs returns records newest first in contract shape", async () => {
    const r = await h.call("GET", "/v1/logs");
    expect(r.status).toBe(200);
    expect(r.body.data.map((l: { requestId: string }) => l.requestId)).toEqual(["r1", "r3", "r2", "r1"]);
    expect(r.body.nextCursor).toBeNull();
    expect(r.body.data[0]).toEqual({
      requestId: "r1",
      timestamp: new Date(T0 + 3000).toISOString(),
      method: "GET",
      path: "/api/orders",
      route: "orders",
      status: 201,
      durationMs: 12.5,
      gatewayMs: 1.25,
      keyId: "k1",
      orgId,
      clientIp: "127.0.0.1",
      userAgent: "jest",
      bytesIn: 0,
      bytesOut: 42,
      traceId: null,
      error: null,
    });
  });

  test("filters: keyId, status, method, path prefix, from/to (ISO and unix ms), limit + cursor", async () => {
    const ids = async (q: string) => (await h.call("GET", `/v1/logs?${q}`)).body.data.map((l: { requestId: string; timestamp: string }) => `${l.requestId}@${Date.parse(l.timestamp) - T0}`);
    expect(await ids("keyId=k2")).toEqual(["r2@1000"]);
    expect(await ids("status=429")).toEqual(["r3@2000"]);
    expect(await ids("method=post")).toEqual(["r2@1000"]);
    expect(await ids("path=/api/orders")).toEqual(["r1@3000", "r3@2000", "r1@0"]);
    expect(await ids(`from=${new Date(T0 + 1000).toISOString()}&to=${T0 + 3000}`)).toEqual(["r3@2000", "r2@1000"]);
    const q = h.audit.calls.at(-1)!.req;
    expect(q).toMatchObject({ orgId, fromMs: BigInt(T0 + 1000), toMs: BigInt(T0 + 3000) });
    const page = await h.call("GET", "/v1/logs?limit=3");
    expect(page.body.data).toHaveLength(3);
    const rest = await h.call("GET", `/v1/logs?limit=3&cursor=${page.body.nextCursor}`);
    expect(rest.body.data).toHaveLength(1);
  });

  test("GET /v1/logs/{requestId} returns the newest record with that id", async () => {
    const r = await h.call("GET", "/v1/logs/r1");
    expect(r.status).toBe(200);
    expect(r.body.timestamp).toBe(new Date(T0 + 3000).toISOString());
    expect(h.contexts.at(-1)!.route).toBe("/v1/logs/:requestId");
  });

  test("GET /v1/usage returns buckets {bucket, requests, errors, rateLimited, p50Ms, p95Ms}", async () => {
    const r = await h.call("GET", `/v1/usage?from=${T0 - 60_000}&to=${T0 + 3_600_000}&granularity=minute`);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([{ bucket: new Date(T0).toISOString(), requests: 4, errors: 1, rateLimited: 1, p50Ms: 12.5, p95Ms: 12.5 }]);
    expect(h.audit.calls.at(-1)!.req).toMatchObject({ orgId, granularity: audit.Granularity.MINUTE, fromMs: BigInt(T0 - 60_000) });
  });

  test("usage defaults to hourly, leaves the range to the service, and filters by keyId", async () => {
    const r = await h.call("GET", "/v1/usage?keyId=k2");
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([expect.objectContaining({ requests: 1, errors: 1 })]);
    expect(h.audit.calls.at(-1)!.req).toMatchObject({ granularity: audit.Granularity.HOUR, fromMs: 0n, toMs: 0n, keyId: "k2" });
  });
});

describe("headers", () => {
  test("every /v1 response carries helmet's security headers and no-store", async () => {
    for (const r of [await h.call("GET", "/v1/orgs"), await h.call("GET", "/v1/nope")]) {
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(r.headers.get("content-security-policy")).toBe("default-src 'none';frame-ancestors 'none'");
      expect(r.headers.get("strict-transport-security")).toMatch(/max-age=/);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.headers.get("x-powered-by")).toBeNull();
      expect(r.headers.get("x-request-id")).toBeTruthy();
    }
  });
});
