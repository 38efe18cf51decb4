/**
 * The edge with the real auth, ratelimit and audit services, happy paths: proxying with the
 * documented headers (docs/reference/http-api.md), bodies streamed both ways, ids and timing, rate-limit headers, public
 * routes, request log, metrics, and route reload.
 */
import { writeFileSync } from "node:fs";
import { eventually } from "@datahub/runtime/testing";
import { metricValue, send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let stack: EdgeStack;

const routes = (u: string, extra = "") => `
routes:
  - name: orders
    path: /api/orders
    upstream: ${u}
    scopes: [orders:read]
    rateLimit: { limit: 1000, windowSeconds: 60 }
  - name: stripped
    path: /svc
    upstream: ${u}/base
    stripPath: true
  - name: public
    path: /public
    upstream: ${u}
    public: true
${extra}
defaults:
  anonymousRateLimit: { limit: 1000, windowSeconds: 60 }
`;

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startEdgeStack({ routes: routes(upstream.url) });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

test("a proxied GET reaches the upstream with ids, trace context and forwarding headers", async () => {
  const { key, id, orgId } = await stack.createKey({ scopes: ["orders:read"] });
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const r = await send(stack.edgeUrl, "GET", "/api/orders/42?x=1&y=2", { key, headers: { "x-request-id": "req-happy-1", traceparent, "x-forwarded-for": "203.0.113.9", host: "gateway.example" } });
  expect(r.status).toBe(200);
  expect(r.json).toEqual({ path: "/api/orders/42?x=1&y=2", method: "GET", bodyBytes: 0 });
  expect(r.headers["x-request-id"]).toBe("req-happy-1");
  expect(r.headers["x-upstream"]).toBe("yes");
  const seen = upstream.seen.at(-1)!;
  expect(seen.headers["x-request-id"]).toBe("req-happy-1");
  expect(seen.headers["x-datahub-key-id"]).toBe(id);
  expect(seen.headers["x-datahub-org-id"]).toBe(orgId);
  expect(seen.headers.traceparent).toBe(traceparent);
  // No trusted proxies configured: a client's own X-Forwarded-For is discarded, the socket address sent.
  expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
  expect(seen.headers["x-forwarded-proto"]).toBe("http");
  expect(seen.headers["x-forwarded-host"]).toBe("gateway.example");
  expect(seen.headers.host).toBe(new URL(upstream.url).host);
});

test("without a valid client X-Request-Id or traceparent, the edge generates both", async () => {
  const { key } = await stack.createKey();
  const r = await send(stack.edgeUrl, "GET", "/api/orders", { key, headers: { "x-request-id": "bad id with spaces", traceparent: "garbage" } });
  expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const seen = upstream.seen.at(-1)!;
  expect(seen.headers["x-request-id"]).toBe(r.headers["x-request-id"]);
  expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});

test("responses carry Server-Timing, rate-limit headers, and the upstream's own headers untouched", async () => {
  const { key } = await stack.createKey();
  const r = await send(stack.edgeUrl, "GET", "/api/orders", { key });
  expect(r.headers["server-timing"]).toMatch(/^gateway;dur=\d+(\.\d+)?$/);
  expect(r.headers["ratelimit-policy"]).toBe('"route";q=1000;w=60');
  expect(r.headers["ratelimit"]).toMatch(/^"route";r=999;t=\d+$/);
  expect(r.headers["x-frame-options"]).toBe("DENY"); // the upstream's value, not helmet's
  expect(r.headers["x-content-type-options"]).toBe("nosniff");
});

test("request bodies stream through, with Content-Length and chunked", async () => {
  const { key } = await stack.createKey();
  const body = "x".repeat(100_000);
  const a = await send(stack.edgeUrl, "POST", "/api/orders", { key, body, headers: { "content-type": "text/plain" } });
  expect(a.json.bodyBytes).toBe(100_000);
  async function* chunks() {
    for (let i = 0; i < 10; i++) yield Buffer.alloc(1000, 97);
  }
  const b = await send(stack.edgeUrl, "PUT", "/api/orders/1", { key, body: chunks() });
  expect(b.status).toBe(200);
  expect(b.json).toMatchObject({ method: "PUT", bodyBytes: 10_000 });
  expect(upstream.seen.at(-1)!.body).toBe("a".repeat(10_000));
});

test("stripPath removes the route prefix and the upstream's base path is prepended", async () => {
  const { key } = await stack.createKey();
  const r = await send(stack.edgeUrl, "GET", "/svc/items/7?q=1", { key });
  expect(r.json.path).toBe("/base/items/7?q=1");
  expect((await send(stack.edgeUrl, "GET", "/svc", { key })).json.path).toBe("/base/");
});

test("a public route needs no key and is limited per client IP", async () => {
  const r = await send(stack.edgeUrl, "GET", "/public/status");
  expect(r.status).toBe(200);
  expect(r.headers["ratelimit-policy"]).toBe('"anonymous";q=1000;w=60');
  expect(upstream.seen.at(-1)!.headers["x-datahub-key-id"]).toBeUndefined();
});

test("health endpoints answer on the edge port without a key", async () => {
  expect((await send(stack.edgeUrl, "GET", "/healthz")).status).toBe(200);
  const ready = await send(stack.edgeUrl, "GET", "/readyz");
  expect(ready.status).toBe(200);
  expect(ready.json.status).toBe("ready");
});

test("every request lands in the request log with its fields", async () => {
  const { key, id, orgId } = await stack.createKey();
  await send(stack.edgeUrl, "POST", "/api/orders/9?secret=no", { key, body: "hello", headers: { "x-request-id": "req-log-1", "user-agent": "edge-test/1" } });
  const rows = await eventually(async () => {
    const r = await stack.logRows("req-log-1");
    return r.length ? r : undefined;
  });
  expect(rows[0]).toMatchObject({ method: "POST", path: "/api/orders/9", route: "orders", status: 200, key_id: id, org_id: orgId, user_agent: "edge-test/1" });
  expect(Number(rows[0]!.bytes_in)).toBe(5);
  expect(Number(rows[0]!.bytes_out)).toBeGreaterThan(0);
});

test("metrics count requests by route name, method and status, and cache hits", async () => {
  const { key } = await stack.createKey();
  await send(stack.edgeUrl, "GET", "/api/orders", { key });
  await send(stack.edgeUrl, "GET", "/api/orders", { key });
  expect(await metricValue(stack.metricsUrl, "datahub_http_requests_total", { route: "orders", method: "GET", status: "200" })).toBeGreaterThanOrEqual(2);
  expect(await metricValue(stack.metricsUrl, "datahub_auth_cache_requests_total", { result: "hit" })).toBeGreaterThanOrEqual(1);
  expect(await metricValue(stack.metricsUrl, "datahub_upstream_duration_seconds_count", { route: "orders" })).toBeGreaterThanOrEqual(2);
  expect(await metricValue(stack.metricsUrl, "datahub_gateway_overhead_seconds_count")).toBeGreaterThanOrEqual(2);
  await eventually(async () => (await metricValue(stack.metricsUrl, "datahub_audit_records_total", { outcome: "shipped" })) > 0);
});

test("reload (SIGHUP) swaps in new routes without a restart", async () => {
  const { key } = await stack.createKey();
  expect((await send(stack.edgeUrl, "GET", "/later/x", { key })).status).toBe(404);
  writeFileSync(stack.routesPath, routes(upstream.url, `  - name: later\n    path: /later\n    upstream: ${upstream.url}\n`));
  await stack.runner.reload();
  expect((await send(stack.edgeUrl, "GET", "/later/x", { key })).status).toBe(200);
});
