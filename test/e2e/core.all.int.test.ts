/**
 * The core request path end to end, every service in this process (DATAHUB_TARGET=all), over the
 * real gRPC wire, PostgreSQL and Redis. Proves the documented statuses, the key lifecycle, exact
 * rate limiting under a burst, and that every request lands in the request log.
 */
import pg from "pg";
import { eventually } from "@datahub/runtime/testing";
import { call, createOrgAndKey, startStack, startUpstream, type Stack } from "../support/stack";

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startStack({
    routes: `
routes:
  - name: orders
    path: /api/orders
    upstream: ${upstream.url}
    scopes: [orders:read]
  - name: burst
    path: /api/burst
    upstream: ${upstream.url}
    scopes: []
    rateLimit: { limit: 50, windowSeconds: 60 }
  - name: public
    path: /public
    upstream: ${upstream.url}
    public: true
`,
  });
}, 60000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

describe("key lifecycle over HTTP", () => {
  it("creates, reads, lists, updates, rotates with grace, and revokes a key", async () => {
    const { org, key } = await createOrgAndKey(stack, { scopes: ["keys:*", "orders:read"], metadata: { team: "a" } });
    expect(key.key).toMatch(/^dh_[0-9A-Za-z]{38}$/);

    const got = await call(stack.edgeUrl, "GET", `/v1/keys/${key.id}`, { key: key.key });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: key.id, orgId: org.id, scopes: ["keys:*", "orders:read"], metadata: { team: "a" } });
    expect(got.json.key).toBeUndefined();

    const list = await call(stack.edgeUrl, "GET", "/v1/keys", { key: key.key });
    expect(list.status).toBe(200);
    expect(list.json.data.map((k: { id: string }) => k.id)).toContain(key.id);

    const patched = await call(stack.edgeUrl, "PATCH", `/v1/keys/${key.id}`, { key: key.key, body: { name: "renamed" } });
    expect(patched.status).toBe(200);
    expect(patched.json.name).toBe("renamed");

    const rotated = await call(stack.edgeUrl, "POST", `/v1/keys/${key.id}/rotate`, { key: key.key, body: { gracePeriodSeconds: 60 } });
    expect(rotated.status).toBe(201);
    expect(rotated.json.key).not.toBe(key.key);
    // Both the old key (grace period) and the new one work.
    expect((await call(stack.edgeUrl, "GET", "/api/orders", { key: key.key })).status).toBe(200);
    expect((await call(stack.edgeUrl, "GET", "/api/orders", { key: rotated.json.key })).status).toBe(200);

    const del = await call(stack.edgeUrl, "DELETE", `/v1/keys/${rotated.json.id}`, { key: rotated.json.key });
    expect(del.status).toBe(204);
    await eventually(async () => (await call(stack.edgeUrl, "GET", "/api/orders", { key: rotated.json.key })).status === 401, 1000);
  });
});

describe("proxying", () => {
  it("forwards ids and trace context, never the key", async () => {
    const { key, org } = await createOrgAndKey(stack);
    const res = await call(stack.edgeUrl, "GET", "/api/orders/42?x=1", { key: key.key, headers: { "x-request-id": "client-req-1" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("client-req-1");
    expect(res.headers.get("server-timing")).toMatch(/gateway;dur=\d/);
    const seen = upstream.seen.at(-1)!;
    expect(seen.url).toBe("/api/orders/42?x=1");
    expect(seen.headers["x-request-id"]).toBe("client-req-1");
    expect(seen.headers["x-datahub-key-id"]).toBe(key.id);
    expect(seen.headers["x-datahub-org-id"]).toBe(org.id);
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(JSON.stringify(seen.headers)).not.toContain(key.key);
  });

  it("answers each status of the status table (docs/reference/http-api.md)", async () => {
    const { key } = await createOrgAndKey(stack, { scopes: ["other:read"] });
    const unknown = "dh_" + "0".repeat(32) + "000000";
    const bodies = new Set<string>();
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer nope" }, { authorization: `Bearer ${unknown}` }, { "x-api-key": "dh_x" }]) {
      const r = await call(stack.edgeUrl, "GET", "/api/orders", { headers });
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
      bodies.add(JSON.stringify({ ...r.json, requestId: undefined }));
    }
    expect(bodies.size).toBe(1);
    expect((await call(stack.edgeUrl, "GET", "/api/orders", { key: key.key })).status).toBe(403);
    expect((await call(stack.edgeUrl, "GET", "/nowhere", { key: key.key })).status).toBe(404);
    expect((await call(stack.edgeUrl, "GET", `/api/orders?api_key=${key.key}`)).status).toBe(400);
    expect((await call(stack.edgeUrl, "GET", "/public/x")).status).toBe(200);
  });
});

describe("rate limiting", () => {
  it("admits exactly the limit from a concurrent burst of 200", async () => {
    const { key } = await createOrgAndKey(stack);
    const results = await Promise.all(Array.from({ length: 200 }, () => call(stack.edgeUrl, "GET", "/api/burst", { key: key.key })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150);
    const limited = results.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-policy")).toMatch(/q=50;w=60/);
    expect(limited.json.status).toBe(429);
  });
});

describe("request log", () => {
  it("records every request, failed ones included, queryable by the org", async () => {
    const { key } = await createOrgAndKey(stack, { scopes: ["logs:read", "orders:read"] });
    const ids = { ok: `ok-${Date.now()}`, notFound: `nf-${Date.now()}`, unauth: `ua-${Date.now()}` };
    expect((await call(stack.edgeUrl, "GET", "/api/orders", { key: key.key, headers: { "x-request-id": ids.ok } })).status).toBe(200);
    expect((await call(stack.edgeUrl, "GET", "/none", { key: key.key, headers: { "x-request-id": ids.notFound } })).status).toBe(404);
    expect((await call(stack.edgeUrl, "GET", "/api/orders", { headers: { "x-request-id": ids.unauth } })).status).toBe(401);

    const ok = await eventually(async () => {
      const r = await call(stack.edgeUrl, "GET", `/v1/logs/${ids.ok}`, { key: key.key });
      return r.status === 200 ? r : undefined;
    });
    expect(ok.json).toMatchObject({ requestId: ids.ok, method: "GET", path: "/api/orders", route: "orders", status: 200, keyId: key.id });
    const nf = await eventually(async () => {
      // Filtered by path too: the polls of /v1/logs/{id} above may themselves have been 404s.
      const r = await call(stack.edgeUrl, "GET", `/v1/logs?status=404&keyId=${key.id}&path=/none`, { key: key.key });
      return r.json?.data?.length ? r : undefined;
    });
    expect(nf.json.data[0].requestId).toBe(ids.notFound);

    // A request with no key belongs to no org: it is in the table, not in any org's view.
    const pool = new pg.Pool({ connectionString: stack.databaseUrl });
    const row = await eventually(async () => (await pool.query("SELECT status FROM audit.request_logs WHERE request_id = $1", [ids.unauth])).rows[0]);
    expect(row.status).toBe(401);
    await pool.end();
  });
});

describe("bad input", () => {
  it("answers 400/413/431 with problem bodies and keeps serving", async () => {
    const { key } = await createOrgAndKey(stack, { scopes: ["keys:*"] });
    const malformed = await call(stack.edgeUrl, "POST", "/v1/keys", { key: key.key, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("content-type")).toMatch(/application\/problem\+json/);
    const wrongType = await call(stack.edgeUrl, "POST", "/v1/keys", { key: key.key, body: { name: 5, scopes: [] } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.detail).toMatch(/name/);
    const big = await call(stack.edgeUrl, "POST", "/v1/keys", { key: key.key, body: { name: "x".repeat(2 * 1024 * 1024), scopes: [] } });
    expect(big.status).toBe(413);
    const hugeHeaders = await fetch(stack.edgeUrl + "/v1/keys", { headers: { authorization: `Bearer ${key.key}`, "x-junk": "y".repeat(32 * 1024) } });
    expect(hugeHeaders.status).toBe(431);
    for (const r of [malformed, wrongType, big]) {
      expect(r.json).toMatchObject({ type: expect.any(String), title: expect.any(String), status: r.status, requestId: expect.any(String) });
    }
    expect((await call(stack.edgeUrl, "GET", "/healthz")).status).toBe(200);
  });
});

describe("secrets", () => {
  it("never puts a key in logs, stored records or error bodies", async () => {
    const { key } = await createOrgAndKey(stack);
    const errorBody = (await call(stack.edgeUrl, "GET", "/api/orders", { key: key.key })).text;
    await call(stack.edgeUrl, "GET", "/none", { key: key.key });
    await call(stack.edgeUrl, "GET", `/api/orders?key=${key.key}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(errorBody).not.toContain(key.key);
    const logs = stack.logs();
    for (const secret of [key.key, stack.rootKey]) {
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(secret.slice(3)); // the body without its prefix
    }
    const pool = new pg.Pool({ connectionString: stack.databaseUrl });
    const dump = await pool.query(
      "SELECT string_agg(t::text, ' ') AS s FROM (SELECT row_to_json(k)::text AS t FROM auth.api_keys k UNION ALL SELECT row_to_json(l)::text FROM audit.request_logs l) x",
    );
    await pool.end();
    expect(dump.rows[0].s).not.toContain(key.key.slice(3));
    expect(dump.rows[0].s).not.toContain(stack.rootKey.slice(4));
  });
});
