/**
 * Management API, security: org isolation (another org's object is 404), scopes per endpoint
 * (403), the grant rule (no escalation), root-only org management, and no secrets in logs or
 * problem bodies.
 */
import type { Principal } from "../src/context";
import { orgPrincipal, startApi, type ApiHarness } from "./support/api-harness";

let h: ApiHarness;
let orgA: string;
let orgB: string;
let keyOfB: string;
beforeEach(async () => {
  h = await startApi();
  orgA = h.auth.seedOrg("a").id;
  orgB = h.auth.seedOrg("b").id;
  keyOfB = h.auth.seedKey(orgB, ["orders:read"]).apiKey.id;
  h.audit.seed({ requestId: "b-req", orgId: orgB, timestampMs: Date.now(), keyId: keyOfB });
});
afterEach(async () => {
  await h.close();
});

const ALL = ["keys:*", "logs:read", "orders:*"];

describe("org isolation", () => {
  beforeEach(() => h.as(orgPrincipal(h, orgA, ALL)));

  test.each([
    ["GET", () => `/v1/keys/${keyOfB}`],
    ["PATCH", () => `/v1/keys/${keyOfB}`],
    ["DELETE", () => `/v1/keys/${keyOfB}`],
    ["POST", () => `/v1/keys/${keyOfB}/rotate`],
    ["GET", () => "/v1/logs/b-req"],
  ])("%s on another org's object → 404", async (method, path) => {
    const r = await h.call(method, path(), method === "PATCH" ? { json: { name: "stolen" } } : {});
    expect(r.status).toBe(404);
    expect(r.body.type).toBe("https://datahub.dev/problems/not-found");
    const k = h.auth.keys.get(keyOfB)!.apiKey;
    expect(k.name).toBe("seeded");
    expect(k.revoked).toBe(false);
  });

  test("every RPC carries the caller's org", async () => {
    await h.call("GET", "/v1/keys");
    await h.call("GET", `/v1/keys/${keyOfB}`);
    await h.call("GET", "/v1/logs");
    await h.call("GET", "/v1/usage");
    await h.call("POST", "/v1/keys", { json: { name: "n", scopes: [] } });
    const orgs = [...h.auth.calls, ...h.audit.calls].map((c) => c.req.orgId);
    expect(orgs.length).toBeGreaterThanOrEqual(5);
    expect(new Set(orgs)).toEqual(new Set([orgA]));
  });

  test("lists show only the caller's org", async () => {
    const keys = await h.call("GET", "/v1/keys");
    expect(keys.body.data.length).toBeGreaterThan(0);
    expect(keys.body.data.every((k: { orgId: string }) => k.orgId === orgA)).toBe(true);
    const logs = await h.call("GET", "/v1/logs");
    expect(logs.body.data).toEqual([]);
    const usage = await h.call("GET", `/v1/usage?keyId=${keyOfB}`);
    expect(usage.body.data).toEqual([]);
  });

  test.each([
    ["POST", "/v1/keys", { name: "n", scopes: [], orgId: "B" }],
    ["GET", "/v1/keys?orgId=B", undefined],
    ["GET", "/v1/logs?orgId=B", undefined],
    ["GET", "/v1/usage?orgId=B", undefined],
    ["GET", "/v1/logs/b-req?orgId=B", undefined],
    ["GET", "/v1/keys/KEY?orgId=B", undefined],
  ])("a non-root key naming another org (%s %s) → 404, no RPC made for org B", async (method, path, json) => {
    const fix = (s: string) => s.replace("B", orgB).replace("KEY", keyOfB);
    const body = json ? { json: { ...json, orgId: orgB } } : {};
    const r = await h.call(method, fix(path), body);
    expect(r.status).toBe(404);
    expect([...h.auth.calls, ...h.audit.calls].some((c) => c.req.orgId === orgB)).toBe(false);
    expect(h.auth.calls.some((c) => c.method === "listOrgs")).toBe(false);
  });

  test("a non-root key may name its own org", async () => {
    const r = await h.call("GET", `/v1/keys?orgId=${orgA}`);
    expect(r.status).toBe(200);
  });
});

describe("scopes per endpoint", () => {
  // Rows must have as many entries as the test function has parameters, or jest passes `done`.
  const cases: Array<[string, () => string, string, unknown]> = [
    ["POST", () => "/v1/keys", "keys:write", { name: "n", scopes: [] }],
    ["GET", () => "/v1/keys", "keys:read", undefined],
    ["GET", () => `/v1/keys/${keyOfB}`, "keys:read", undefined],
    ["PATCH", () => `/v1/keys/${keyOfB}`, "keys:write", { name: "x" }],
    ["DELETE", () => `/v1/keys/${keyOfB}`, "keys:write", undefined],
    ["POST", () => `/v1/keys/${keyOfB}/rotate`, "keys:write", undefined],
    ["GET", () => "/v1/logs", "logs:read", undefined],
    ["GET", () => "/v1/logs/b-req", "logs:read", undefined],
    ["GET", () => "/v1/usage", "logs:read", undefined],
  ];

  test.each(cases)("%s %s without %s → 403 before any RPC", async (method, path, scope, json) => {
    const others = ["keys:read", "keys:write", "logs:read", "orders:*"].filter((s) => s !== scope);
    h.as(orgPrincipal(h, orgB, others));
    const before = h.auth.calls.length + h.audit.calls.length;
    const r = await h.call(method, path(), json === undefined ? {} : { json });
    expect(r.status).toBe(403);
    expect(r.body.type).toBe("https://datahub.dev/problems/forbidden");
    expect(r.body.detail).toContain(scope);
    expect(h.auth.calls.length + h.audit.calls.length).toBe(before);
    expect(h.contexts.at(-1)!.error).toBe("forbidden");
  });

  test.each(cases)("%s %s with %s (via a wildcard) is allowed", async (method, path, scope, json) => {
    h.as(orgPrincipal(h, orgB, [scope.replace(/:.*/, ":*"), "orders:*"]));
    const r = await h.call(method, path(), json === undefined ? {} : { json });
    expect(r.status).toBeLessThan(300);
  });

  test("a 403 is answered before the body is parsed", async () => {
    h.as(orgPrincipal(h, orgA, ["keys:read"]));
    const r = await h.call("POST", "/v1/keys", { body: "{not json", headers: { "content-type": "application/json" } });
    expect(r.status).toBe(403);
  });
});

describe("granting scopes", () => {
  let caller: Principal;
  beforeEach(() => {
    caller = orgPrincipal(h, orgA, ["keys:write", "keys:read", "orders:read"]);
    h.as(caller);
  });

  test.each([[["orders:write"]], [["orders:*"]], [["*"]], [["keys:*"]], [["billing:read", "orders:read"]]])("creating a key with %j → 403", async (scopes) => {
    const r = await h.call("POST", "/v1/keys", { json: { name: "n", scopes } });
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/^a key may grant only scopes it holds; not held: /);
    expect(h.auth.calls.some((c) => c.method === "createKey")).toBe(false);
  });

  test("PATCH raising scopes beyond the caller's → 403; within them → 200", async () => {
    const target = h.auth.seedKey(orgA, ["orders:read"]).apiKey.id;
    expect((await h.call("PATCH", `/v1/keys/${target}`, { json: { scopes: ["orders:*"] } })).status).toBe(403);
    expect(h.auth.keys.get(target)!.apiKey.scopes).toEqual(["orders:read"]);
    expect((await h.call("PATCH", `/v1/keys/${target}`, { json: { scopes: ["keys:read"] } })).status).toBe(200);
  });

  test("rotating a key stronger than the caller → 403 (rotation hands out its scopes)", async () => {
    const strong = h.auth.seedKey(orgA, ["*"]).apiKey.id;
    const r = await h.call("POST", `/v1/keys/${strong}/rotate`);
    expect(r.status).toBe(403);
    expect(h.auth.calls.some((c) => c.method === "rotateKey")).toBe(false);
    const weak = h.auth.seedKey(orgA, ["orders:read"]).apiKey.id;
    expect((await h.call("POST", `/v1/keys/${weak}/rotate`)).status).toBe(201);
  });

  test("a non-root key cannot change, revoke or rotate a root key, even holding *", async () => {
    h.as(orgPrincipal(h, h.rootOrgId, ["*"]));
    const rootKeyId = h.root.keyId;
    expect((await h.call("PATCH", `/v1/keys/${rootKeyId}`, { json: { name: "mine" } })).status).toBe(403);
    expect((await h.call("DELETE", `/v1/keys/${rootKeyId}`)).status).toBe(403);
    expect((await h.call("POST", `/v1/keys/${rootKeyId}/rotate`)).status).toBe(403);
    expect(h.auth.keys.get(rootKeyId)!.apiKey.revoked).toBe(false);
  });

  test("the root key may grant any scope in any org", async () => {
    h.as(h.root);
    const r = await h.call("POST", "/v1/keys", { json: { name: "n", scopes: ["*"], orgId: orgA } });
    expect(r.status).toBe(201);
  });
});

describe("orgs are root-only", () => {
  test.each([
    ["POST", { name: "evil" }],
    ["GET", undefined],
  ])("%s /v1/orgs with a non-root key holding * → 403", async (method, json) => {
    h.as(orgPrincipal(h, orgA, ["*"]));
    const r = await h.call(method, "/v1/orgs", json ? { json } : {});
    expect(r.status).toBe(403);
    expect([...h.auth.orgs.values()].some((o) => o.name === "evil")).toBe(false);
  });
});

describe("secrets", () => {
  test("a created or rotated key never appears in captured logs, even when errors are logged", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "n", scopes: [] } });
    const rotated = await h.call("POST", `/v1/keys/${created.body.id}/rotate`);
    h.auth.failNext("createKey", 13 /* INTERNAL */, "db exploded");
    await h.call("POST", "/v1/keys", { json: { name: "n2", scopes: [], metadata: { note: created.body.key } } });
    expect(h.logs.lines.length).toBeGreaterThan(0); // the 500 above was logged
    for (const secret of [created.body.key, rotated.body.key]) {
      expect(typeof secret).toBe("string");
      expect(h.logs.text()).not.toContain(secret);
    }
  });

  test("problem bodies never contain the Authorization or X-API-Key value", async () => {
    const secret = "dh_0123456789abcdefghijABCDEFGHIJ0123456789";
    const headers = { authorization: `Bearer ${secret}`, "x-api-key": secret };
    const responses = [
      await h.call("GET", "/v1/nope", { headers }),
      await h.call("PUT", "/v1/keys", { headers }),
      await h.call("POST", "/v1/keys", { headers: { ...headers, "content-type": "application/json" }, body: `{"name": "${secret}` }),
      await h.call("POST", "/v1/keys", { headers, json: { name: "n", scopes: [secret] } }),
      await h.call("POST", "/v1/keys", { headers, json: { [secret]: 1, name: "n", scopes: [] } }),
      await h.call("GET", `/v1/keys?limit=${secret}`, { headers }),
    ];
    for (const r of responses) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain("Bearer");
    }
    expect(h.logs.text()).not.toContain(secret);
  });

  test("only create and rotate bodies carry a key; list and get never do", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "n", scopes: [] } });
    for (const r of [await h.call("GET", "/v1/keys"), await h.call("GET", `/v1/keys/${created.body.id}`), await h.call("PATCH", `/v1/keys/${created.body.id}`, { json: { name: "m" } })]) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(created.body.key);
      expect(r.text).not.toMatch(/"key":/);
    }
  });
});
