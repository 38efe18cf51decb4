/**
 * System events through the whole stack: real edge, auth, ratelimit and audit (Postgres, Redis,
 * gRPC) with the webhooks service replaced by the in-memory fake over real gRPC. A key change
 * reaches it as `key.created` (auth's outbox relay); a key over its limit yields one
 * `ratelimit.exceeded` per window however many 429s follow; with the webhooks service down the
 * 429s are neither slower nor different.
 */
import { eventually } from "@datahub/runtime/testing";
import { metricValue, send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";
import { startFakeWebhooks, type FakeWebhooksServer } from "./support/webhooks-fake";

let upstream: Upstream;
let wh: FakeWebhooksServer;
let stack: EdgeStack;

beforeAll(async () => {
  upstream = await startUpstream();
  wh = await startFakeWebhooks();
  stack = await startEdgeStack({
    routes: `routes:\n  - name: api\n    path: /api\n    upstream: ${upstream.url}\n`,
    env: { DATAHUB_WEBHOOKS_ADDR: wh.address, DATAHUB_AUTH_EVENTS_INTERVAL_MS: "50", DATAHUB_AUTH_EVENTS_MAX_BACKOFF_MS: "200" },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await wh?.stop();
  await upstream?.close();
});

test("a key created over auth's API is published as key.created, without its secret", async () => {
  const k = await stack.createKey({ scopes: ["orders:read"] });
  const ev = await eventually(() => wh.fake.events.find((e) => e.type === "key.created" && (e.data as { id?: string }).id === k.id), 10_000);
  expect(ev.orgId).toBe(k.orgId);
  expect(ev.data).toMatchObject({ id: k.id, orgId: k.orgId, scopes: ["orders:read"], revoked: false });
  expect(JSON.stringify(ev)).not.toContain(k.key);
}, 20_000);

test("a key over its limit gets 429s and exactly one ratelimit.exceeded for the window", async () => {
  const k = await stack.createKey({ rateLimit: { limit: 2, windowSeconds: 3600 } });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await send(stack.edgeUrl, "GET", "/api/x", { key: k.key })).status);
  expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
  const ev = await eventually(() => wh.fake.events.find((e) => e.type === "ratelimit.exceeded" && e.orgId === k.orgId), 5000);
  expect(ev.data).toEqual({ keyId: k.id, limit: 2, windowSeconds: 3600, policy: "key" });
  expect(ev.idempotencyKey).toBe(`ratelimit.exceeded:${k.id}:${Math.floor(Date.now() / 3_600_000) * 3_600_000}`);
  await new Promise((r) => setTimeout(r, 200));
  expect(wh.fake.events.filter((e) => e.type === "ratelimit.exceeded" && e.orgId === k.orgId)).toHaveLength(1);
  expect(await metricValue(stack.metricsUrl, "datahub_system_events_total", { source: "edge", outcome: "published" })).toBeGreaterThanOrEqual(1);
  expect(await metricValue(stack.metricsUrl, "datahub_system_events_total", { source: "auth", outcome: "published" })).toBeGreaterThanOrEqual(1);
}, 20_000);

test("with the webhooks service down, 429s stay fast and unchanged; keys still work", async () => {
  const k = await stack.createKey({ rateLimit: { limit: 1, windowSeconds: 3600 } });
  expect((await send(stack.edgeUrl, "GET", "/api/x", { key: k.key })).status).toBe(200);
  await wh.stop();
  try {
    const started = Date.now();
    const r = await send(stack.edgeUrl, "GET", "/api/x", { key: k.key });
    expect(r.status).toBe(429);
    expect(r.headers["retry-after"]).toBeDefined();
    expect(Date.now() - started).toBeLessThan(1000);
    const other = await stack.createKey({});
    expect((await send(stack.edgeUrl, "GET", "/api/x", { key: other.key })).status).toBe(200);
    expect((await send(stack.edgeUrl, "GET", "/v1/webhooks", { key: other.key })).status).toBe(503);
  } finally {
    await wh.start();
  }
}, 20_000);
