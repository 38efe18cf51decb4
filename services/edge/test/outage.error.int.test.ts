/**
 * The edge when its dependencies fail, with the real services in a separate runner that the test
 * stops under a live edge: cached keys keep working (stale), an uncached key gets 503 (never
 * 401), rate limits fail open (counted), request logs are buffered. Also: without a valid key the
 * anonymous per-IP limit answers 429 before 401.
 */
import { generateApiKey } from "@datahub/runtime";
import { eventually } from "@datahub/runtime/testing";
import { metricValue, send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let stack: EdgeStack & { services: import("@datahub/runtime").Runner };

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startEdgeStack({
    mode: "split",
    routes: `
routes:
  - name: echo
    path: /echo
    upstream: ${upstream.url}
defaults:
  anonymousRateLimit: { limit: 3, windowSeconds: 60 }
`,
    env: { DATAHUB_AUTH_CACHE_TTL_MS: "300", DATAHUB_AUTH_STALE_TTL_MS: "600000", DATAHUB_RPC_TIMEOUT_MS: "300" },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

test("without a valid key, the anonymous per-IP limit is checked first: 401s, then 429", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await send(stack.edgeUrl, "GET", "/echo", { headers: { authorization: "Bearer nope" } })).status);
  expect(statuses).toEqual([401, 401, 401, 429, 429]);
  const r = await send(stack.edgeUrl, "GET", "/echo");
  expect(r.status).toBe(429);
  expect(r.headers["retry-after"]).toBeDefined();
  expect(r.headers["ratelimit-policy"]).toBe('"anonymous";q=3;w=60');
});

test("services down: a cached key keeps working, an uncached key gets 503, limits fail open, logs wait", async () => {
  const { key } = await stack.createKey();
  expect((await send(stack.edgeUrl, "GET", "/echo/warm", { key })).status).toBe(200);
  const uncached = generateApiKey();

  await stack.services.stop();

  // Past the 300 ms TTL the edge asks auth, fails, and serves its last-known-good entry.
  await eventually(async () => {
    expect((await send(stack.edgeUrl, "GET", "/echo/poll", { key })).status).toBe(200);
    return (await metricValue(stack.metricsUrl, "datahub_auth_cache_requests_total", { result: "stale" })) > 0;
  }, 5000, 100);
  const ok = await send(stack.edgeUrl, "GET", "/echo/during-outage", { key });
  expect(ok.status).toBe(200);
  expect(ok.headers["ratelimit-policy"]).toBeUndefined(); // failed open: no decision to report

  const unknown = await send(stack.edgeUrl, "GET", "/echo", { key: uncached });
  expect(unknown.status).toBe(503);
  expect(unknown.headers["retry-after"]).toBe("1");
  expect(unknown.json.status).toBe(503);

  expect(await metricValue(stack.metricsUrl, "datahub_ratelimit_decisions_total", { decision: "failed_open" })).toBeGreaterThan(0);
  await eventually(async () => (await metricValue(stack.metricsUrl, "datahub_audit_buffer_records")) > 0);
  expect(await metricValue(stack.metricsUrl, "datahub_audit_records_total", { outcome: "failed" })).toBeGreaterThan(0);
}, 30_000);
