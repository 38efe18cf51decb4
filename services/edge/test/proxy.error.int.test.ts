/**
 * The edge with the real services, every error status of docs/reference/http-api.md ("Status codes") for proxied routes:
 * 400 (key in query), 401 five ways with one body, 403, 404, 405, 413, 429, 431, 502, 504, and
 * that failed requests are request-logged too.
 */
import { eventually, freePort } from "@datahub/runtime/testing";
import { send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let stack: EdgeStack;
let deadPort: number;

beforeAll(async () => {
  upstream = await startUpstream(2000);
  deadPort = await freePort();
  stack = await startEdgeStack({
    routes: `
routes:
  - name: orders
    path: /api/orders
    upstream: ${upstream.url}
    methods: [GET, POST]
    scopes: [orders:read]
    maxBodyBytes: 1000
  - name: tight
    path: /tight
    upstream: ${upstream.url}
    rateLimit: { limit: 2, windowSeconds: 60 }
  - name: slow
    path: /slow
    upstream: ${upstream.url}
    timeoutMs: 200
  - name: reset
    path: /reset
    upstream: ${upstream.url}
  - name: dead
    path: /dead
    upstream: http://127.0.0.1:${deadPort}
defaults:
  anonymousRateLimit: { limit: 1000, windowSeconds: 60 }
`,
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

function expectProblem(r: { status: number; headers: Record<string, string>; json: any }, status: number) {
  expect(r.status).toBe(status);
  expect(r.headers["content-type"]).toBe("application/problem+json");
  expect(r.json).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String), requestId: r.headers["x-request-id"] });
  expect(r.headers["server-timing"]).toMatch(/^gateway;dur=/);
  expect(r.headers["x-content-type-options"]).toBe("nosniff");
}

test("401 for no, malformed, unknown, revoked and expired keys: same body, WWW-Authenticate: Bearer", async () => {
  const revoked = await stack.createKey({ scopes: ["orders:read"] });
  expect((await send(stack.edgeUrl, "GET", "/api/orders", { key: revoked.key })).status).toBe(200);
  await stack.auth.revokeKey({ orgId: revoked.orgId, id: revoked.id });
  const expiring = await stack.createKey({ scopes: ["orders:read"], expiresAtMs: Date.now() + 1500 });
  expect((await send(stack.edgeUrl, "GET", "/api/orders", { key: expiring.key })).status).toBe(200);

  const unknown = "dh_" + "0".repeat(32) + "000000";
  const cases = [{}, { "x-api-key": "dh_short" }, { authorization: `Bearer ${unknown}` }, { authorization: `Bearer ${revoked.key}` }, { "x-api-key": expiring.key }];
  await eventually(async () => (await send(stack.edgeUrl, "GET", "/api/orders", { headers: cases[3] as Record<string, string> })).status === 401, 2000);
  await eventually(async () => (await send(stack.edgeUrl, "GET", "/api/orders", { headers: cases[4] as Record<string, string> })).status === 401, 5000);
  const bodies = new Set<string>();
  const before = upstream.seen.length;
  for (const headers of cases) {
    const r = await send(stack.edgeUrl, "GET", "/api/orders", { headers: headers as Record<string, string> });
    expectProblem(r, 401);
    expect(r.headers["www-authenticate"]).toMatch(/^Bearer/);
    bodies.add(JSON.stringify({ ...r.json, requestId: undefined }));
  }
  expect(bodies.size).toBe(1);
  expect(upstream.seen.length).toBe(before);
});

test("400 when a key is sent in the query string, before any lookup", async () => {
  const { key } = await stack.createKey();
  for (const q of [`api_key=${key}`, `token=x`, `q=${key}`]) {
    const r = await send(stack.edgeUrl, "GET", `/api/orders?${q}`);
    expectProblem(r, 400);
    expect(r.text).not.toContain(key);
  }
});

test("403 when the key lacks a route scope", async () => {
  const { key } = await stack.createKey({ scopes: ["orders:write"] });
  expectProblem(await send(stack.edgeUrl, "GET", "/api/orders", { key }), 403);
});

test("404 when no route matches (after authentication: 401 without a key)", async () => {
  const { key } = await stack.createKey();
  expectProblem(await send(stack.edgeUrl, "GET", "/nowhere", { key }), 404);
  expectProblem(await send(stack.edgeUrl, "GET", "/api/ordersx", { key }), 404);
  expect((await send(stack.edgeUrl, "GET", "/nowhere")).status).toBe(401);
});

test("405 with Allow when the route does not accept the method", async () => {
  const { key } = await stack.createKey();
  const r = await send(stack.edgeUrl, "DELETE", "/api/orders/1", { key });
  expectProblem(r, 405);
  expect(r.headers.allow).toBe("GET, POST");
});

test("413 for a body over the route's limit, by Content-Length and when streamed chunked", async () => {
  const { key } = await stack.createKey();
  const before = upstream.seen.length;
  expectProblem(await send(stack.edgeUrl, "POST", "/api/orders", { key, body: "x".repeat(1001) }), 413);
  expect(upstream.seen.length).toBe(before);
  async function* chunks() {
    for (let i = 0; i < 20; i++) yield Buffer.alloc(100, 98);
  }
  expectProblem(await send(stack.edgeUrl, "POST", "/api/orders", { key, body: chunks() }), 413);
  expect((await send(stack.edgeUrl, "POST", "/api/orders", { key, body: "x".repeat(1000) })).status).toBe(200);
});

test("429 with Retry-After and rate-limit headers once the route's limit is spent", async () => {
  const { key } = await stack.createKey();
  expect((await send(stack.edgeUrl, "GET", "/tight", { key })).status).toBe(200);
  expect((await send(stack.edgeUrl, "GET", "/tight", { key })).status).toBe(200);
  const r = await send(stack.edgeUrl, "GET", "/tight", { key });
  expectProblem(r, 429);
  expect(Number(r.headers["retry-after"])).toBeGreaterThan(0);
  expect(r.headers["ratelimit-policy"]).toBe('"route";q=2;w=60');
  expect(r.headers.ratelimit).toMatch(/^"route";r=0;t=\d+$/);
  // A different key has its own quota.
  expect((await send(stack.edgeUrl, "GET", "/tight", { key: (await stack.createKey()).key })).status).toBe(200);
});

test("431 for headers over the limit, answered and still request-logged", async () => {
  const { key } = await stack.createKey();
  const r = await fetch(`${stack.edgeUrl}/api/orders`, { headers: { authorization: `Bearer ${key}`, "x-junk": "y".repeat(20_000) } });
  expect(r.status).toBe(431);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  const body = (await r.json()) as { status: number; requestId: string };
  expect(body.status).toBe(431);
  const rows = await eventually(async () => {
    const x = await stack.logRows(body.requestId);
    return x.length ? x : undefined;
  });
  expect(rows[0]).toMatchObject({ status: 431, method: "GET", path: "/api/orders" });
});

test("502 when the upstream refuses or resets; 504 when it is slower than timeoutMs", async () => {
  const { key } = await stack.createKey();
  expectProblem(await send(stack.edgeUrl, "GET", "/dead", { key }), 502);
  expectProblem(await send(stack.edgeUrl, "GET", "/reset", { key }), 502);
  const t0 = Date.now();
  expectProblem(await send(stack.edgeUrl, "GET", "/slow", { key }), 504);
  expect(Date.now() - t0).toBeLessThan(1500);
});

test("failed requests are request-logged with their status and error", async () => {
  const { key } = await stack.createKey();
  await send(stack.edgeUrl, "GET", "/api/orders", { headers: { "x-request-id": "err-log-401" } });
  await send(stack.edgeUrl, "GET", "/dead", { key, headers: { "x-request-id": "err-log-502" } });
  const r401 = await eventually(async () => (await stack.logRows("err-log-401"))[0]);
  const r502 = await eventually(async () => (await stack.logRows("err-log-502"))[0]);
  expect(r401).toMatchObject({ status: 401, route: "orders", error: "unauthorized" });
  expect(r401.key_id || null).toBeNull();
  expect(r502).toMatchObject({ status: 502, route: "dead", error: "upstream_unavailable" });
});
