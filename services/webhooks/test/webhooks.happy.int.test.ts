/**
 * The happy path over real gRPC, Postgres, Redis (BullMQ) and a local HTTP receiver: endpoint
 * CRUD, signed deliveries verified by the independent `standardwebhooks` package (also during a
 * secret rotation), fan-out by pattern, idempotent publish, the delivery and attempt log.
 */
import { Webhook } from "standardwebhooks";
import { webhooks } from "@datahub/proto";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { captureLogger, eventually } from "@datahub/runtime/testing";
import { newOrg, startReceiver, startWebhooks, type Receiver, type WebhooksHarness } from "./harness";

let h: WebhooksHarness;
let rx: Receiver;
const logs = captureLogger("debug");

beforeAll(async () => {
  h = await startWebhooks({}, { logger: logs.logger });
  rx = await startReceiver();
});
afterAll(async () => {
  await h?.close();
  await rx?.close();
});

const data = (v: unknown) => fromJson(ValueSchema, v as never);

it("delivers a signed event that standardwebhooks verifies, with the Standard Webhooks headers", async () => {
  const orgId = newOrg();
  const { endpoint, secret } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["order.created"], description: "orders" });
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  expect(endpoint!.status).toBe(webhooks.EndpointStatus.ENABLED);
  const before = rx.received.length;
  const pub = await h.client.publish({ orgId, type: "order.created", data: data({ orderId: 42, items: ["a"] }), traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
  expect(pub.deliveries).toBe(1);
  const got = await eventually(() => rx.received.slice(before).find((r) => r.headers["webhook-id"] === pub.eventId), 10_000);
  const wh = new Webhook(secret);
  const verified = wh.verify(got.body, {
    "webhook-id": String(got.headers["webhook-id"]),
    "webhook-timestamp": String(got.headers["webhook-timestamp"]),
    "webhook-signature": String(got.headers["webhook-signature"]),
  }) as { id: string; type: string; timestamp: string; data: unknown };
  expect(verified).toEqual({ id: pub.eventId, type: "order.created", timestamp: expect.any(String), data: { orderId: 42, items: ["a"] } });
  expect(got.headers["webhook-timestamp"]).toMatch(/^\d+$/);
  expect(got.headers["content-type"]).toBe("application/json");
  expect(got.headers["user-agent"]).toMatch(/^DataHub-Webhooks\/\d+\.\d+\.\d+$/);
  expect(got.headers.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

  const list = await eventually(async () => {
    const r = await h.client.listDeliveries({ orgId, endpointId: endpoint!.id });
    return r.deliveries[0]?.status === webhooks.DeliveryStatus.SUCCEEDED ? r : undefined;
  });
  const d = list.deliveries[0]!;
  expect(d).toMatchObject({ eventId: pub.eventId, eventType: "order.created", attempts: 1, lastStatusCode: 200 });
  const attempts = await h.client.listAttempts({ orgId, endpointId: endpoint!.id, deliveryId: d.id });
  expect(attempts.attempts).toHaveLength(1);
  expect(attempts.attempts[0]).toMatchObject({ number: 1, statusCode: 200, responseExcerpt: "ok", error: "" });
});

it("signs with both secrets after a rotation, and each verifies alone", async () => {
  const orgId = newOrg();
  const { endpoint, secret: oldSecret } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
  const rotated = await h.client.rotateSecret({ orgId, id: endpoint!.id });
  expect(rotated.secret).not.toBe(oldSecret);
  const expires = Number(rotated.previousSecretExpiresAt!.seconds) * 1000;
  expect(expires - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000);
  const pub = await h.client.publish({ orgId, type: "user.signed_up", data: data({ a: 1 }) });
  const got = await eventually(() => rx.received.find((r) => r.headers["webhook-id"] === pub.eventId), 10_000);
  const headers = {
    "webhook-id": String(got.headers["webhook-id"]),
    "webhook-timestamp": String(got.headers["webhook-timestamp"]),
    "webhook-signature": String(got.headers["webhook-signature"]),
  };
  expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
  expect(() => new Webhook(rotated.secret).verify(got.body, headers)).not.toThrow();
  expect(() => new Webhook(oldSecret).verify(got.body, headers)).not.toThrow();
  expect(() => new Webhook("whsec_" + Buffer.alloc(32, 7).toString("base64")).verify(got.body, headers)).toThrow();
});

it("fans out by pattern (exact, prefix.*, *) within the publishing org only", async () => {
  const orgA = newOrg();
  const orgB = newOrg();
  const mk = async (orgId: string, events: string[]) => (await h.client.createEndpoint({ orgId, url: rx.url, events })).endpoint!.id;
  const exact = await mk(orgA, ["order.created"]);
  const prefix = await mk(orgA, ["order.*"]);
  const all = await mk(orgA, ["*"]);
  const other = await mk(orgA, ["invoice.*", "order.updated"]);
  const deep = await mk(orgA, ["order.created.*"]);
  const foreign = await mk(orgB, ["*"]);
  const pub = await h.client.publish({ orgId: orgA, type: "order.created", data: data(null) });
  expect(pub.deliveries).toBe(3);
  const endpointsOf = async () => {
    const { rows } = await h.pool.query(`SELECT endpoint_id FROM webhooks.deliveries WHERE event_id = $1`, [pub.eventId]);
    return rows.map((r) => r.endpoint_id as string).sort();
  };
  expect(await endpointsOf()).toEqual([exact, prefix, all].sort());
  for (const id of [other, deep, foreign]) expect(await endpointsOf()).not.toContain(id);
  await eventually(() => rx.received.filter((r) => r.headers["webhook-id"] === pub.eventId).length === 3, 10_000);
});

it("dedupes publishes with the same idempotency key in the same org, not across orgs", async () => {
  const orgId = newOrg();
  await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
  const first = await h.client.publish({ orgId, type: "a.b", data: data(1), idempotencyKey: "k-1" });
  const again = await h.client.publish({ orgId, type: "a.b", data: data(2), idempotencyKey: "k-1" });
  expect(first.duplicate).toBe(false);
  expect(again).toMatchObject({ eventId: first.eventId, duplicate: true, deliveries: 0 });
  const otherOrg = await h.client.publish({ orgId: newOrg(), type: "a.b", data: data(1), idempotencyKey: "k-1" });
  expect(otherOrg.eventId).not.toBe(first.eventId);
  // A key older than 24 h no longer dedupes.
  await h.pool.query(`UPDATE webhooks.events SET created_at = now() - interval '25 hours' WHERE id = $1`, [first.eventId]);
  const later = await h.client.publish({ orgId, type: "a.b", data: data(3), idempotencyKey: "k-1" });
  expect(later.duplicate).toBe(false);
  expect(later.eventId).not.toBe(first.eventId);
});

it("gets, lists with a cursor, updates and deletes endpoints; secrets never appear", async () => {
  const orgId = newOrg();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await h.client.createEndpoint({ orgId, url: `${rx.url}?n=${i}`, events: ["x.*"] })).endpoint!.id);
  const page1 = await h.client.listEndpoints({ orgId, limit: 2 });
  expect(page1.endpoints.map((e) => e.id)).toEqual(ids.slice(0, 2));
  const page2 = await h.client.listEndpoints({ orgId, limit: 2, cursor: page1.nextCursor });
  expect(page2.endpoints.map((e) => e.id)).toEqual(ids.slice(2));
  expect(page2.nextCursor).toBe("");
  expect(JSON.stringify(page1, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toMatch(/whsec_/);

  const upd = await h.client.updateEndpoint({ orgId, id: ids[0]!, description: "new", setEvents: true, events: ["y.z"], rateLimitPerSecond: 5 });
  expect(upd.endpoint).toMatchObject({ description: "new", events: ["y.z"], rateLimitPerSecond: 5, url: `${rx.url}?n=0` });
  const dis = await h.client.updateEndpoint({ orgId, id: ids[0]!, status: webhooks.EndpointStatus.DISABLED });
  expect(dis.endpoint).toMatchObject({ status: webhooks.EndpointStatus.DISABLED, disabledReason: "user" });
  const en = await h.client.updateEndpoint({ orgId, id: ids[0]!, status: webhooks.EndpointStatus.ENABLED });
  expect(en.endpoint).toMatchObject({ status: webhooks.EndpointStatus.ENABLED, disabledReason: "" });
  const got = await h.client.getEndpoint({ orgId, id: ids[1]! });
  expect(got.endpoint!.id).toBe(ids[1]);
  await h.client.deleteEndpoint({ orgId, id: ids[2]! });
  expect((await h.client.listEndpoints({ orgId })).endpoints).toHaveLength(2);
});

it("keeps secrets out of every log line (debug level) and every list answer", async () => {
  const orgId = newOrg();
  const { endpoint, secret } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
  const rotated = await h.client.rotateSecret({ orgId, id: endpoint!.id });
  rx.respond = (_r, n) => (n % 2 ? { status: 500 } : { status: 200 });
  const pub = await h.client.publish({ orgId, type: "a.b", data: data(1) });
  await eventually(() => rx.received.filter((r) => r.headers["webhook-id"] === pub.eventId).length >= 1, 10_000);
  rx.respond = () => ({ status: 200, body: "ok" });
  const list = JSON.stringify(await h.client.listEndpoints({ orgId }), (_k, v) => (typeof v === "bigint" ? String(v) : v));
  for (const s of [secret, rotated.secret]) {
    expect(list).not.toContain(s);
    expect(logs.text()).not.toContain(s);
  }
  expect(logs.text()).not.toMatch(/whsec_/);
  expect(logs.lines.length).toBeGreaterThan(0);
});
