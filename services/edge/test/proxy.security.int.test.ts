/**
 * The edge with the real services, security: the key never reaches the upstream, logs, stored
 * records or bodies; revocation lands within 1 s through the pushed invalidation (not TTL); path
 * tricks and keys in URLs are refused; gateway responses carry helmet's headers and CORS.
 */
import pg from "pg";
import { eventually } from "@datahub/runtime/testing";
import { rawRequest, send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let stack: EdgeStack;

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startEdgeStack({
    routes: `
routes:
  - name: private
    path: /private
    upstream: ${upstream.url}
    scopes: [private:read]
  - name: public
    path: /public
    upstream: ${upstream.url}
    public: true
defaults:
  anonymousRateLimit: { limit: 1000, windowSeconds: 60 }
`,
    // A long TTL: only the pushed invalidation can make a revocation land within 1 s.
    env: { DATAHUB_AUTH_CACHE_TTL_MS: "600000", DATAHUB_CORS_ORIGINS: "https://app.example" },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

test("the upstream never sees the key: Authorization, X-API-Key and hop-by-hop headers are removed", async () => {
  const { key } = await stack.createKey();
  // Raw bytes: HTTP clients rewrite the Connection header.
  const r = await rawRequest(
    stack.edgeUrl,
    `GET /private/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-API-Key: ${key}\r\nConnection: close, x-hop\r\nX-Hop: 1\r\n` +
      `Proxy-Authorization: Basic eA==\r\nX-DataHub-Key-Id: spoofed\r\n\r\n`,
  );
  expect(r.status).toBe(200);
  const seen = upstream.seen.at(-1)!;
  expect(seen.headers.authorization).toBeUndefined();
  expect(seen.headers["x-api-key"]).toBeUndefined();
  expect(seen.headers["x-hop"]).toBeUndefined();
  expect(seen.headers["proxy-authorization"]).toBeUndefined();
  expect(seen.headers["x-datahub-key-id"]).not.toBe("spoofed");
  const everything = JSON.stringify(seen);
  expect(everything).not.toContain(key);
  expect(everything).not.toContain(key.slice(3));
});

test("a public route strips a presented key too and forwards no identity", async () => {
  const { key } = await stack.createKey();
  await send(stack.edgeUrl, "GET", "/public/x", { key });
  const seen = upstream.seen.at(-1)!;
  expect(JSON.stringify(seen)).not.toContain(key.slice(3));
  expect(seen.headers["x-datahub-key-id"]).toBeUndefined();
});

test("revoking a key takes effect within 1 s although its cache entry would live 10 minutes", async () => {
  const { key, id, orgId } = await stack.createKey();
  expect((await send(stack.edgeUrl, "GET", "/private/b", { key })).status).toBe(200);
  await stack.auth.revokeKey({ orgId, id });
  const t0 = Date.now();
  await eventually(async () => (await send(stack.edgeUrl, "GET", "/private/b", { key })).status === 401, 1000, 20);
  expect(Date.now() - t0).toBeLessThan(1000);
});

test("narrowing a key's scopes is enforced within 1 s too", async () => {
  const { key, id, orgId } = await stack.createKey({ scopes: ["private:read"] });
  expect((await send(stack.edgeUrl, "GET", "/private/c", { key })).status).toBe(200);
  await stack.auth.updateKey({ orgId, id, scopes: { values: ["other:read"] } });
  await eventually(async () => (await send(stack.edgeUrl, "GET", "/private/c", { key })).status === 403, 1000, 20);
});

test("dot segments and backslashes in the path are refused before routing", async () => {
  const before = upstream.seen.length;
  for (const path of ["/public/../private/a", "/public/%2e%2e/private/a", "/public/.%2E/private", "/public\\..\\private"]) {
    const r = await rawRequest(stack.edgeUrl, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(400);
  }
  expect(upstream.seen.length).toBe(before);
});

test("gateway responses carry helmet's security headers (no HSTS over plain HTTP) and X-Request-Id", async () => {
  const r = await send(stack.edgeUrl, "GET", "/private/x");
  expect(r.status).toBe(401);
  expect(r.headers).toMatchObject({
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
  });
  expect(r.headers["content-security-policy"]).toContain("default-src 'self'");
  expect(r.headers["strict-transport-security"]).toBeUndefined();
  expect(r.headers["x-request-id"]).toBeTruthy();
  expect(r.headers["x-powered-by"]).toBeUndefined();
});

test("CORS: allowed origins get a preflight answer for /v1 and exposed headers; others get none", async () => {
  const pre = await send(stack.edgeUrl, "OPTIONS", "/v1/keys", { headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
  expect(pre.status).toBe(204);
  expect(pre.headers["access-control-allow-origin"]).toBe("https://app.example");
  expect(pre.headers["access-control-allow-headers"]).toContain("Authorization");
  const { key } = await stack.createKey();
  const r = await send(stack.edgeUrl, "GET", "/private/x", { key, headers: { origin: "https://app.example" } });
  expect(r.headers["access-control-allow-origin"]).toBe("https://app.example");
  expect(r.headers["access-control-expose-headers"]).toContain("X-Request-Id");
  const other = await send(stack.edgeUrl, "GET", "/private/x", { key, headers: { origin: "https://evil.example" } });
  expect(other.headers["access-control-allow-origin"]).toBeUndefined();
});

test("no key appears in logs, request-log rows or error bodies, whatever the request did with it", async () => {
  const { key } = await stack.createKey({ scopes: ["nothing"] });
  const bodies = [
    (await send(stack.edgeUrl, "GET", "/private/x", { key })).text, // 403
    (await send(stack.edgeUrl, "GET", `/private/x?api_key=${key}`)).text, // 400
    (await send(stack.edgeUrl, "GET", "/private/x", { headers: { "x-api-key": key + "x" } })).text, // malformed: 401
    (await send(stack.edgeUrl, "GET", "/nowhere", { key })).text, // 404
  ];
  await send(stack.edgeUrl, "GET", "/private/x", { headers: { authorization: `Bearer ${key}`, "x-junk": "y".repeat(20_000) } }).catch(() => undefined); // 431
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
  try {
    await eventually(async () => Number((await pool.query("SELECT count(*) AS n FROM audit.request_logs WHERE status IN (400, 403, 404, 431)")).rows[0].n) >= 4);
    const dump = (await pool.query("SELECT string_agg(row_to_json(l)::text, ' ') AS s FROM audit.request_logs l")).rows[0].s as string;
    for (const text of [...bodies, stack.logs(), dump]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(3));
    }
  } finally {
    await pool.end();
  }
});
