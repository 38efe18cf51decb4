/**
 * `/v1/webhooks…` and `/v1/events`, happy paths, against the in-memory WebhookService over real
 * gRPC: every endpoint answers with the shapes of docs/api/openapi.yaml.
 */
import { webhooks } from "@datahub/proto";
import { orgPrincipal, startApi, type ApiHarness } from "./support/api-harness";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ENDPOINT_FIELDS = ["createdAt", "description", "disabledReason", "events", "id", "orgId", "rateLimitPerSecond", "status", "updatedAt", "url"].sort();
const DELIVERY_FIELDS = ["attempts", "createdAt", "eventId", "eventType", "id", "lastError", "lastStatusCode", "nextAttemptAt", "status"].sort();

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => {
  await h.close();
});

async function createEndpoint(json: Record<string, unknown> = {}) {
  const r = await h.call("POST", "/v1/webhooks", { json: { url: "https://hooks.example.com/in", events: ["order.*"], ...json } });
  expect(r.status).toBe(201);
  return r.body;
}

describe("endpoints", () => {
  test("POST /v1/webhooks → 201 with the secret once, lowercase status, Location", async () => {
    const r = await h.call("POST", "/v1/webhooks", {
      json: { url: "https://hooks.example.com/in", events: ["order.created", "order.*", "order.created"], description: "orders", rateLimitPerSecond: 5 },
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual([...ENDPOINT_FIELDS, "secret"].sort());
    expect(r.body).toMatchObject({
      url: "https://hooks.example.com/in",
      events: ["order.created", "order.*"],
      description: "orders",
      status: "enabled",
      disabledReason: null,
      rateLimitPerSecond: 5,
      orgId: h.rootOrgId,
    });
    expect(r.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
    expect(r.body.createdAt).toMatch(ISO);
    expect(r.headers.get("location")).toBe(`/v1/webhooks/${r.body.id}`);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(h.contexts.at(-1)!.route).toBe("/v1/webhooks");
    const call = h.webhooks.calls.find((c) => c.method === "createEndpoint")!;
    expect(call.req).toMatchObject({ orgId: h.rootOrgId, description: "orders", rateLimitPerSecond: 5 });
  });

  test("defaults: description null, rateLimitPerSecond null (the service default)", async () => {
    const e = await createEndpoint({ events: ["*"] });
    expect(e).toMatchObject({ description: null, rateLimitPerSecond: null, events: ["*"] });
  });

  test("GET /v1/webhooks pages with limit and cursor, without secrets", async () => {
    const created = [await createEndpoint(), await createEndpoint(), await createEndpoint()];
    const first = await h.call("GET", "/v1/webhooks?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    for (const e of first.body.data) expect(Object.keys(e).sort()).toEqual(ENDPOINT_FIELDS);
    const second = await h.call("GET", `/v1/webhooks?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    expect(new Set([...first.body.data, ...second.body.data].map((e: { id: string }) => e.id))).toEqual(new Set(created.map((e) => e.id)));
  });

  test("GET /v1/webhooks/{id} returns the endpoint without its secret", async () => {
    const e = await createEndpoint();
    const r = await h.call("GET", `/v1/webhooks/${e.id}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(ENDPOINT_FIELDS);
    expect(r.text).not.toContain(e.secret);
    expect(h.contexts.at(-1)!.route).toBe("/v1/webhooks/:id");
  });

  test("PATCH changes only the given fields; null clears; status disables and re-enables", async () => {
    const e = await createEndpoint({ description: "d", rateLimitPerSecond: 3 });
    const a = await h.call("PATCH", `/v1/webhooks/${e.id}`, { json: { events: ["invoice.paid"], status: "disabled" } });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ events: ["invoice.paid"], status: "disabled", disabledReason: "user", description: "d", rateLimitPerSecond: 3, url: e.url });
    expect(a.body.secret).toBeUndefined();
    const b = await h.call("PATCH", `/v1/webhooks/${e.id}`, { json: { description: null, rateLimitPerSecond: null, status: "enabled", url: "http://hooks.example.com/v2" } });
    expect(b.body).toMatchObject({ description: null, rateLimitPerSecond: null, status: "enabled", disabledReason: null, url: "http://hooks.example.com/v2" });
    const call = h.webhooks.calls.filter((c) => c.method === "updateEndpoint")[1]!;
    expect(call.req).toMatchObject({ setEvents: false, description: "", rateLimitPerSecond: 0, status: webhooks.EndpointStatus.ENABLED });
  });

  test("DELETE → 204 with an empty body; the endpoint is gone", async () => {
    const e = await createEndpoint();
    const r = await h.call("DELETE", `/v1/webhooks/${e.id}`);
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect((await h.call("GET", `/v1/webhooks/${e.id}`)).status).toBe(404);
  });

  test("POST /v1/webhooks/{id}/rotate-secret → 200 {secret, previousSecretExpiresAt}", async () => {
    const e = await createEndpoint();
    const r = await h.call("POST", `/v1/webhooks/${e.id}/rotate-secret`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["previousSecretExpiresAt", "secret"]);
    expect(r.body.secret).toMatch(/^whsec_/);
    expect(r.body.secret).not.toBe(e.secret);
    expect(r.body.previousSecretExpiresAt).toMatch(ISO);
  });

  test("a webhooks:* key of an org manages its own endpoints", async () => {
    const org = h.auth.seedOrg("acme");
    h.as(orgPrincipal(h, org.id, ["webhooks:*"]));
    const e = await createEndpoint();
    expect(e.orgId).toBe(org.id);
    expect((await h.call("GET", "/v1/webhooks")).body.data.map((x: { id: string }) => x.id)).toEqual([e.id]);
  });

  test("root acts on another org with ?orgId", async () => {
    const org = h.auth.seedOrg("acme");
    const r = await h.call("POST", `/v1/webhooks?orgId=${org.id}`, { json: { url: "https://a.example/x", events: ["*"] } });
    expect(r.status).toBe(201);
    expect(r.body.orgId).toBe(org.id);
    expect((await h.call("GET", `/v1/webhooks/${r.body.id}?orgId=${org.id}`)).status).toBe(200);
    expect((await h.call("GET", `/v1/webhooks/${r.body.id}`)).status).toBe(404);
  });
});

describe("deliveries and attempts", () => {
  test("GET deliveries: contract shape, status filter, pagination", async () => {
    const e = await createEndpoint();
    h.webhooks.seedDelivery(e.id, { status: webhooks.DeliveryStatus.FAILED, attempts: 3, lastStatusCode: 500, lastError: "HTTP 500" });
    h.webhooks.seedDelivery(e.id, { status: webhooks.DeliveryStatus.SUCCEEDED, attempts: 1, lastStatusCode: 200 });
    h.webhooks.seedDelivery(e.id, { status: webhooks.DeliveryStatus.PENDING, nextAttemptAt: { seconds: 2_000_000_000n, nanos: 0 } });
    const all = await h.call("GET", `/v1/webhooks/${e.id}/deliveries?limit=2`);
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(2);
    expect(typeof all.body.nextCursor).toBe("string");
    for (const d of all.body.data) expect(Object.keys(d).sort()).toEqual(DELIVERY_FIELDS);
    const failed = await h.call("GET", `/v1/webhooks/${e.id}/deliveries?status=failed`);
    expect(failed.body.data).toEqual([
      expect.objectContaining({ status: "failed", attempts: 3, lastStatusCode: 500, lastError: "HTTP 500", nextAttemptAt: null, eventType: "order.created" }),
    ]);
    const pending = await h.call("GET", `/v1/webhooks/${e.id}/deliveries?status=pending`);
    expect(pending.body.data[0]).toMatchObject({ status: "pending", lastStatusCode: null, lastError: null, nextAttemptAt: "2033-05-18T03:33:20.000Z" });
    const call = h.webhooks.calls.filter((c) => c.method === "listDeliveries")[1]!;
    expect(call.req.status).toBe(webhooks.DeliveryStatus.FAILED);
  });

  test("GET attempts lists each attempt (our addition)", async () => {
    const e = await createEndpoint();
    const d = h.webhooks.seedDelivery(e.id, { status: webhooks.DeliveryStatus.FAILED }, [
      { statusCode: 503, durationMs: 12, responseExcerpt: "busy" },
      { statusCode: 0, durationMs: 15000, error: "timeout after 15000 ms" },
    ]);
    const r = await h.call("GET", `/v1/webhooks/${e.id}/deliveries/${d.id}/attempts`);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([
      { number: 1, startedAt: expect.stringMatching(ISO), statusCode: 503, durationMs: 12, responseExcerpt: "busy", error: null },
      { number: 2, startedAt: expect.stringMatching(ISO), statusCode: null, durationMs: 15000, responseExcerpt: null, error: "timeout after 15000 ms" },
    ]);
  });

  test("POST retry → 202; the delivery is pending again", async () => {
    const e = await createEndpoint();
    const d = h.webhooks.seedDelivery(e.id, { status: webhooks.DeliveryStatus.FAILED });
    const r = await h.call("POST", `/v1/webhooks/${e.id}/deliveries/${d.id}/retry`);
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    expect(h.webhooks.deliveries.get(d.id)!.status).toBe(webhooks.DeliveryStatus.PENDING);
    expect(h.contexts.at(-1)!.route).toBe("/v1/webhooks/:id/deliveries/:deliveryId/retry");
  });
});

describe("events", () => {
  test("POST /v1/events → 202 {id}; fans out to matching endpoints of the org", async () => {
    const match = await createEndpoint({ events: ["order.*"] });
    const other = await createEndpoint({ events: ["invoice.paid"] });
    const r = await h.call("POST", "/v1/events", { json: { type: "order.created", data: { orderId: 42, items: [1, 2] } } });
    expect(r.status).toBe(202);
    expect(Object.keys(r.body)).toEqual(["id"]);
    expect(h.webhooks.events).toEqual([expect.objectContaining({ id: r.body.id, orgId: h.rootOrgId, type: "order.created", data: { orderId: 42, items: [1, 2] }, idempotencyKey: "" })]);
    expect([...h.webhooks.deliveries.values()].map((d) => d.endpointId)).toEqual([match.id]);
    expect(other.id).toBeDefined();
    expect(h.contexts.at(-1)!.route).toBe("/v1/events");
  });

  test("the same idempotencyKey returns the first event's id", async () => {
    const a = await h.call("POST", "/v1/events", { json: { type: "order.created", data: {}, idempotencyKey: "order-42" } });
    const b = await h.call("POST", "/v1/events", { json: { type: "order.created", data: { x: 1 }, idempotencyKey: "order-42" } });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.id).toBe(a.body.id);
    expect(h.webhooks.events).toHaveLength(1);
    // Namespaced, so a caller cannot collide with a system event's key.
    expect(h.webhooks.events[0]!.idempotencyKey).toBe("user:order-42");
  });

  test("an events:write key publishes in its own org", async () => {
    const org = h.auth.seedOrg("acme");
    h.as(orgPrincipal(h, org.id, ["events:write"]));
    const r = await h.call("POST", "/v1/events", { json: { type: "a", data: {} } });
    expect(r.status).toBe(202);
    expect(h.webhooks.events[0]!.orgId).toBe(org.id);
  });

  test("a body just under 256 KiB is accepted", async () => {
    const data = { blob: "x".repeat(256 * 1024 - 100) };
    const r = await h.call("POST", "/v1/events", { json: { type: "big.one", data } });
    expect(r.status).toBe(202);
  });
});
