/**
 * docs/api/openapi.yaml against the real edge (real auth, ratelimit, audit and webhooks services):
 * valid and invalid input to every operation, and every pipeline error path (no key, bad key,
 * missing scope, over the limit, unknown path, wrong method, body too large, bad and deep JSON,
 * key in the query, invalid path). Each answer's status, DataHub headers and body are checked
 * against the document (support/openapi-check.ts); the test fails listing every mismatch, and
 * fails when an operation of the document was not exercised, so the two cannot drift apart. The
 * services run in their own runner, so the last test can stop them for the 503 answers.
 */
import { generateApiKey } from "@datahub/runtime";
import { rawRequest, send, startEdgeStack, type EdgeStack } from "./support/edge-stack";
import { OpenApiChecker, openapiDoc, operations, type Answer } from "./support/openapi-check";

const MAX_BODY = 8192;
let stack: EdgeStack & { services: import("@datahub/runtime").Runner };
let root: string;
let all: string;
let logsOnly: string;
let limited: string;
const checker = new OpenApiChecker();

beforeAll(async () => {
  stack = await startEdgeStack({
    mode: "split",
    routes: "routes: []\n",
    webhooks: true,
    env: { DATAHUB_WEBHOOKS_ALLOW_CIDRS: "", DATAHUB_MAX_BODY_BYTES: String(MAX_BODY), DATAHUB_RPC_TIMEOUT_MS: "500" },
  });
  root = stack.env.DATAHUB_ROOT_KEY!;
  all = (await stack.createKey({ scopes: ["*"] })).key;
  logsOnly = (await stack.createKey({ scopes: ["logs:read"] })).key;
  limited = (await stack.createKey({ scopes: ["*"], rateLimit: { limit: 1, windowSeconds: 60 } })).key;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

interface Call {
  key?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

/** Sends one request, checks the answer against `op`, and checks the status the case meant to provoke. */
async function call(label: string, op: string | { component: string }, method: string, path: string, expected: number, c: Call = {}): Promise<Answer & { json: any }> {
  const headers: Record<string, string> = { ...c.headers };
  let body = c.body;
  if (c.json !== undefined) {
    body = JSON.stringify(c.json);
    headers["content-type"] ??= "application/json";
  }
  const r = await send(stack.edgeUrl, method, path, { key: c.key, headers, body });
  checker.check(label, op, r);
  if (r.status !== expected) checker.mismatches.push(`${label}: the case expected ${expected}, got ${r.status} ${r.text.slice(0, 200)}`);
  return r;
}

/** Sends raw bytes (answers the HTTP server writes before the pipeline) and parses the answer. */
async function raw(text: string): Promise<Answer> {
  const r = await rawRequest(stack.edgeUrl, text);
  const [head = "", body = ""] = r.raw.split("\r\n\r\n", 2);
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n").slice(1)) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers, text: body, json };
}

const NO_SUCH = "0190f3a0-0000-7000-8000-000000000000";
const PUBLIC_URL = "https://[64:ff9b::808:808]/hook";

test("every answer of every operation matches the document", async () => {
  // ---- meta
  await call("healthz", "healthz", "GET", "/healthz", 200);
  await call("readyz", "readyz", "GET", "/readyz", 200);
  const served = await call("openapi.json", "getOpenApi", "GET", "/v1/openapi.json", 200);
  expect(served.json).toEqual(openapiDoc);
  await call("openapi.json, wrong method", "getOpenApi", "POST", "/v1/openapi.json", 405);
  await call("openapi.json, key in query", "getOpenApi", "GET", `/v1/openapi.json?key=${generateApiKey("dh")}`, 400);

  // ---- orgs
  const org = await call("createOrg", "createOrg", "POST", "/v1/orgs", 201, { key: root, json: { name: "conformance" } });
  await call("createOrg, bad name", "createOrg", "POST", "/v1/orgs", 400, { key: root, json: { name: "" } });
  await call("createOrg, not root", "createOrg", "POST", "/v1/orgs", 403, { key: all, json: { name: "x" } });
  await call("createOrg, not JSON", "createOrg", "POST", "/v1/orgs", 415, { key: root, body: "name=x", headers: { "content-type": "text/plain" } });
  await call("listOrgs", "listOrgs", "GET", "/v1/orgs", 200, { key: root });
  await call("listOrgs, not root", "listOrgs", "GET", "/v1/orgs", 403, { key: all });

  // ---- keys
  const key = await call("createKey", "createKey", "POST", "/v1/keys", 201, { key: all, json: { name: "k", scopes: ["logs:read"], rateLimit: { limit: 10, windowSeconds: 60 } } });
  await call("createKey, root in another org", "createKey", "POST", "/v1/keys", 201, { key: root, json: { name: "k", scopes: [], orgId: org.json.id } });
  await call("createKey, bad scope", "createKey", "POST", "/v1/keys", 400, { key: all, json: { name: "k", scopes: ["Bad Scope"] } });
  await call("createKey, unknown org", "createKey", "POST", "/v1/keys", 404, { key: root, json: { name: "k", scopes: [], orgId: NO_SUCH } });
  await call("createKey, missing scope", "createKey", "POST", "/v1/keys", 403, { key: logsOnly, json: { name: "k", scopes: [] } });
  await call("createKey, malformed JSON", "createKey", "POST", "/v1/keys", 400, { key: all, body: '{"name":', headers: { "content-type": "application/json" } });
  await call("createKey, deep JSON", "createKey", "POST", "/v1/keys", 400, { key: all, body: '{"metadata":' + "[".repeat(40) + "]".repeat(40) + "}", headers: { "content-type": "application/json" } });
  await call("createKey, body too large", "createKey", "POST", "/v1/keys", 413, { key: all, json: { name: "x".repeat(MAX_BODY), scopes: [] } });
  await call("listKeys", "listKeys", "GET", "/v1/keys?limit=1", 200, { key: all });
  await call("listKeys, bad cursor", "listKeys", "GET", "/v1/keys?cursor=nope", 400, { key: all });
  await call("listKeys, bad limit", "listKeys", "GET", "/v1/keys?limit=0", 400, { key: all });
  await call("listKeys, search", "listKeys", "GET", "/v1/keys?search=k", 200, { key: all });
  await call("listKeys, search too long", "listKeys", "GET", `/v1/keys?search=${"x".repeat(101)}`, 400, { key: all });
  await call("listKeys, no key", "listKeys", "GET", "/v1/keys", 401);
  await call("listKeys, bad key", "listKeys", "GET", "/v1/keys", 401, { key: generateApiKey("dh") });
  await call("listKeys, key in query", "listKeys", "GET", `/v1/keys?api_key=${generateApiKey("dh")}`, 400);
  await call("listKeys, wrong method", "listKeys", "PUT", "/v1/keys", 405, { key: all });
  await call("listKeys, other org", "listKeys", "GET", `/v1/keys?orgId=${org.json.id}`, 404, { key: all });
  await call("listKeys, limit 1/min (first)", "listKeys", "GET", "/v1/keys", 200, { key: limited });
  await call("listKeys, limit 1/min (over)", "listKeys", "GET", "/v1/keys", 429, { key: limited });
  const id = key.json.id as string;
  await call("getKey", "getKey", "GET", `/v1/keys/${id}`, 200, { key: all });
  await call("getKey, no such key", "getKey", "GET", `/v1/keys/${NO_SUCH}`, 404, { key: all });
  await call("getKey, unknown query parameter", "getKey", "GET", `/v1/keys/${id}?keyid=1`, 400, { key: all });
  await call("getKey, invalid path", "getKey", "GET", "/v1/keys/a%2Fb", 400, { key: all });
  await call("updateKey", "updateKey", "PATCH", `/v1/keys/${id}`, 200, { key: all, json: { name: "renamed", expiresAt: null } });
  await call("updateKey, merge-patch", "updateKey", "PATCH", `/v1/keys/${id}`, 200, { key: all, json: { metadata: { a: 1 } }, headers: { "content-type": "application/merge-patch+json" } });
  await call("updateKey, past expiry", "updateKey", "PATCH", `/v1/keys/${id}`, 400, { key: all, json: { expiresAt: "2000-01-01T00:00:00Z" } });
  const rotated = await call("rotateKey", "rotateKey", "POST", `/v1/keys/${id}/rotate`, 201, { key: all, json: { gracePeriodSeconds: 60 } });
  await call("rotateKey, bad grace", "rotateKey", "POST", `/v1/keys/${id}/rotate`, 400, { key: all, json: { gracePeriodSeconds: -1 } });
  await call("revokeKey", "revokeKey", "DELETE", `/v1/keys/${rotated.json.id}`, 204, { key: all });
  await call("revokeKey, revoked key changed", "updateKey", "PATCH", `/v1/keys/${rotated.json.id}`, 409, { key: all, json: { name: "x" } });
  await call("revokeKey, no such key", "revokeKey", "DELETE", `/v1/keys/${NO_SUCH}`, 404, { key: all });
  await call("revokeKey, unknown query parameter", "revokeKey", "DELETE", `/v1/keys/${NO_SUCH}?x=1`, 400, { key: all });

  // ---- logs and usage
  await call("queryLogs", "queryLogs", "GET", "/v1/logs?limit=5", 200, { key: all });
  await call("queryLogs, bad cursor", "queryLogs", "GET", "/v1/logs?cursor=nope", 400, { key: all });
  await call("queryLogs, bad status", "queryLogs", "GET", "/v1/logs?status=42", 400, { key: all });
  // The request log is written in batches: wait for an earlier request's record.
  const logged = (await send(stack.edgeUrl, "GET", "/v1/keys", { key: all })).headers["x-request-id"]!;
  let log = await send(stack.edgeUrl, "GET", `/v1/logs/${logged}`, { key: all });
  for (let i = 0; i < 50 && log.status === 404; i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = await send(stack.edgeUrl, "GET", `/v1/logs/${logged}`, { key: all });
  }
  checker.check("getLog", "getLog", log);
  await call("getLog, unknown id", "getLog", "GET", "/v1/logs/no-such-request", 404, { key: all });
  await call("getLog, unknown query parameter", "getLog", "GET", "/v1/logs/r1?x=1", 400, { key: all });
  await call("getUsage", "getUsage", "GET", "/v1/usage?granularity=day", 200, { key: all });
  await call("getUsage, too wide", "getUsage", "GET", "/v1/usage?granularity=minute&from=2000-01-01&to=2030-01-01", 400, { key: all });
  await call("getUsage, missing scope", "getUsage", "GET", "/v1/usage", 403, { key: (await stack.createKey({ scopes: ["keys:read"] })).key });

  // ---- webhooks
  const ep = await call("createWebhookEndpoint", "createWebhookEndpoint", "POST", "/v1/webhooks", 201, { key: all, json: { url: PUBLIC_URL, events: ["order.*"] } });
  await call("createWebhookEndpoint, SSRF", "createWebhookEndpoint", "POST", "/v1/webhooks", 400, { key: all, json: { url: "http://127.0.0.1/", events: ["*"] } });
  await call("createWebhookEndpoint, bad pattern", "createWebhookEndpoint", "POST", "/v1/webhooks", 400, { key: all, json: { url: PUBLIC_URL, events: ["Bad"] } });
  await call("listWebhookEndpoints", "listWebhookEndpoints", "GET", "/v1/webhooks", 200, { key: all });
  await call("listWebhookEndpoints, bad cursor", "listWebhookEndpoints", "GET", "/v1/webhooks?cursor=nope", 400, { key: all });
  const epId = ep.json.id as string;
  await call("getWebhookEndpoint", "getWebhookEndpoint", "GET", `/v1/webhooks/${epId}`, 200, { key: all });
  await call("getWebhookEndpoint, no such", "getWebhookEndpoint", "GET", `/v1/webhooks/${NO_SUCH}`, 404, { key: all });
  await call("updateWebhookEndpoint", "updateWebhookEndpoint", "PATCH", `/v1/webhooks/${epId}`, 200, { key: all, json: { description: "d", rateLimitPerSecond: null } });
  await call("updateWebhookEndpoint, bad status", "updateWebhookEndpoint", "PATCH", `/v1/webhooks/${epId}`, 400, { key: all, json: { status: "off" } });
  await call("rotateWebhookSecret", "rotateWebhookSecret", "POST", `/v1/webhooks/${epId}/rotate-secret`, 200, { key: all, json: {} });
  // Its URL is public (not reachable from here): the delivery is scheduled, which is what 202 says.
  await call("sendWebhookTestEvent", "sendWebhookTestEvent", "POST", `/v1/webhooks/${epId}/test`, 202, { key: all });
  await call("sendWebhookTestEvent, no such", "sendWebhookTestEvent", "POST", `/v1/webhooks/${NO_SUCH}/test`, 404, { key: all });
  await call("sendWebhookTestEvent, body field", "sendWebhookTestEvent", "POST", `/v1/webhooks/${epId}/test`, 400, { key: all, json: { x: 1 } });
  await call("rotateWebhookSecret, body field", "rotateWebhookSecret", "POST", `/v1/webhooks/${epId}/rotate-secret`, 400, { key: all, json: { x: 1 } });

  // ---- events and deliveries
  await call("publishEvent", "publishEvent", "POST", "/v1/events", 202, { key: all, json: { type: "order.created", data: { n: 1 } } });
  await call("publishEvent, system type", "publishEvent", "POST", "/v1/events", 400, { key: all, json: { type: "key.created", data: {} } });
  await call("publishEvent, bad type", "publishEvent", "POST", "/v1/events", 400, { key: all, json: { type: "Bad Type", data: {} } });
  let deliveries: Answer & { json: any } = { status: 0, headers: {}, text: "", json: { data: [] } };
  for (let i = 0; i < 50 && deliveries.json.data.length === 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    deliveries = await call("listWebhookDeliveries", "listWebhookDeliveries", "GET", `/v1/webhooks/${epId}/deliveries`, 200, { key: all });
  }
  await call("listWebhookDeliveries, bad status", "listWebhookDeliveries", "GET", `/v1/webhooks/${epId}/deliveries?status=lost`, 400, { key: all });
  const deliveryId = (deliveries.json.data[0]?.id as string | undefined) ?? NO_SUCH;
  await call("listWebhookAttempts", "listWebhookAttempts", "GET", `/v1/webhooks/${epId}/deliveries/${deliveryId}/attempts`, 200, { key: all });
  await call("listWebhookAttempts, no such", "listWebhookAttempts", "GET", `/v1/webhooks/${epId}/deliveries/${NO_SUCH}/attempts`, 404, { key: all });
  const retry = await send(stack.edgeUrl, "POST", `/v1/webhooks/${epId}/deliveries/${deliveryId}/retry`, { key: all });
  checker.check("retryWebhookDelivery", "retryWebhookDelivery", retry);
  if (retry.status !== 202 && retry.status !== 409) checker.mismatches.push(`retryWebhookDelivery: expected 202 or 409, got ${retry.status}`);
  await call("retryWebhookDelivery, no such", "retryWebhookDelivery", "POST", `/v1/webhooks/${epId}/deliveries/${NO_SUCH}/retry`, 404, { key: all });
  await call("deleteWebhookEndpoint", "deleteWebhookEndpoint", "DELETE", `/v1/webhooks/${epId}`, 204, { key: all });
  await call("deleteWebhookEndpoint, gone", "deleteWebhookEndpoint", "DELETE", `/v1/webhooks/${epId}`, 404, { key: all });

  // ---- routes
  await call("listRoutes", "listRoutes", "GET", "/v1/routes", 200, { key: root });
  await call("listRoutes, missing scope", "listRoutes", "GET", "/v1/routes", 403, { key: logsOnly });
  await call("listRoutes, unknown query parameter", "listRoutes", "GET", "/v1/routes?x=1", 400, { key: root });

  // ---- answers outside any operation
  await call("unknown /v1 path", { component: "NotFound" }, "GET", "/v1/nope", 404, { key: all });
  const notHttp = await raw("GET /v1/keys HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  checker.check("not HTTP (raw 400)", { component: "BadRequest" }, notHttp);
  expect(notHttp.status).toBe(400);
  const bigHeaders = await raw(`GET /v1/keys HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`);
  checker.check("headers too large (raw 431)", { component: "Error" }, bigHeaders);
  expect(bigHeaders.status).toBe(431);

  const missing = [...operations().keys()].filter((op) => !checker.exercised.has(op));
  expect({ missing, mismatches: checker.mismatches }).toEqual({ missing: [], mismatches: [] });
}, 60_000);

test("every operation was exercised with a success and with an error", () => {
  const incomplete = [...checker.exercised].filter(([, statuses]) => ![...statuses].some((s) => s < 300) || ![...statuses].some((s) => s >= 400)).map(([op]) => op);
  // Health probes have no error answer a test can provoke without stopping a dependency.
  expect(incomplete.filter((op) => op !== "healthz" && op !== "readyz")).toEqual([]);
});

test("with the services stopped, the 503 answers match the document", async () => {
  await stack.services.stop();
  // Whether the edge's readiness follows remote services is not the point here: whichever answer
  // it gives must match the document.
  checker.check("readyz, services down", "readyz", await send(stack.edgeUrl, "GET", "/readyz"));
  await call("queryLogs, audit down", "queryLogs", "GET", "/v1/logs", 503, { key: all });
  await call("listKeys, new key while auth is down", "listKeys", "GET", "/v1/keys", 503, { key: generateApiKey("dh") });
  expect(checker.mismatches).toEqual([]);
}, 30_000);
