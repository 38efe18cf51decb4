/**
 * Retries and endpoint health against a local receiver, with the retry schedule shortened to
 * 100 ms, 200 ms, 300 ms (DATAHUB_WEBHOOKS_RETRY_SCHEDULE): same webhook-id on every attempt,
 * Retry-After honoured, 410 disables, exhaustion fails, manual retry, per-endpoint rate limit,
 * redirects not followed, response excerpts capped at 4 KiB, timeouts recorded.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { webhooks } from "@datahub/proto";
import { eventually } from "@datahub/runtime/testing";
import { newOrg, startReceiver, startWebhooks, type Receiver, type WebhooksHarness } from "./harness";

let h: WebhooksHarness;
let rx: Receiver;

beforeAll(async () => {
  h = await startWebhooks({ DATAHUB_WEBHOOKS_TIMEOUT_MS: "500" });
});
beforeEach(async () => {
  rx = await startReceiver();
});
afterEach(async () => {
  await rx?.close();
});
afterAll(async () => {
  await h?.close();
});

const data = (v: unknown) => fromJson(ValueSchema, v as never);

async function setup(events = ["*"], rateLimitPerSecond = 0) {
  const orgId = newOrg();
  const { endpoint } = await h.client.createEndpoint({ orgId, url: rx.url, events, rateLimitPerSecond });
  return { orgId, endpointId: endpoint!.id };
}

async function deliveryOf(orgId: string, endpointId: string, eventId: string) {
  const r = await h.client.listDeliveries({ orgId, endpointId });
  return r.deliveries.find((d) => d.eventId === eventId);
}

it("retries a failing receiver with the same webhook-id until it succeeds, logging every attempt", async () => {
  const { orgId, endpointId } = await setup();
  rx.respond = (_r, n) => (n <= 2 ? { status: 500, body: "boom" } : { status: 204 });
  const pub = await h.client.publish({ orgId, type: "order.created", data: data({ n: 1 }) });
  await eventually(() => rx.received.length >= 3, 10_000);
  expect(new Set(rx.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([pub.eventId]));
  expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
  const d = await eventually(async () => {
    const x = await deliveryOf(orgId, endpointId, pub.eventId);
    return x?.status === webhooks.DeliveryStatus.SUCCEEDED ? x : undefined;
  });
  expect(d).toMatchObject({ attempts: 3, lastStatusCode: 204, lastError: "" });
  const a = await h.client.listAttempts({ orgId, endpointId, deliveryId: d.id });
  expect(a.attempts.map((x) => [x.number, x.statusCode, x.error])).toEqual([
    [1, 500, "HTTP 500"],
    [2, 500, "HTTP 500"],
    [3, 204, ""],
  ]);
  expect(a.attempts[0]!.responseExcerpt).toBe("boom");
});

it("honours Retry-After on 429 (longer than the schedule's 100 ms)", async () => {
  const { orgId } = await setup();
  rx.respond = (_r, n) => (n === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 });
  await h.client.publish({ orgId, type: "a.b", data: data(null) });
  await eventually(() => rx.received.length >= 2, 10_000);
  const gap = rx.received[1]!.at - rx.received[0]!.at;
  expect(gap).toBeGreaterThanOrEqual(950);
});

it("disables the endpoint on 410, fails its pending deliveries and emits webhook.endpoint.disabled", async () => {
  const { orgId, endpointId } = await setup(["order.*"]);
  const watcher = await startReceiver();
  try {
    await h.client.createEndpoint({ orgId, url: watcher.url, events: ["webhook.*"] });
    rx.respond = () => ({ status: 410 });
    await h.client.publish({ orgId, type: "order.created", data: data(1) });
    const ep = await eventually(async () => {
      const e = (await h.client.getEndpoint({ orgId, id: endpointId })).endpoint!;
      return e.status === webhooks.EndpointStatus.DISABLED ? e : undefined;
    }, 10_000);
    expect(ep.disabledReason).toBe("gone");
    const sys = await eventually(() => watcher.received.find((r) => JSON.parse(r.body).type === "webhook.endpoint.disabled"), 10_000);
    expect(JSON.parse(sys.body).data).toMatchObject({ endpointId, reason: "gone" });
    // Publishing now creates no delivery for the disabled endpoint.
    const again = await h.client.publish({ orgId, type: "order.updated", data: data(2) });
    expect(again.deliveries).toBe(0);
    expect(rx.received).toHaveLength(1);
  } finally {
    await watcher.close();
  }
});

it("fails a delivery once the schedule is exhausted; RetryDelivery tries again now", async () => {
  const { orgId, endpointId } = await setup();
  rx.respond = () => ({ status: 500 });
  const pub = await h.client.publish({ orgId, type: "x.y", data: data(1) });
  const d = await eventually(async () => {
    const x = await deliveryOf(orgId, endpointId, pub.eventId);
    return x?.status === webhooks.DeliveryStatus.FAILED ? x : undefined;
  }, 10_000);
  expect(d.attempts).toBe(4); // 1 + 3 scheduled retries
  expect(rx.received).toHaveLength(4);
  rx.respond = () => ({ status: 200 });
  await h.client.retryDelivery({ orgId, endpointId, deliveryId: d.id });
  const ok = await eventually(async () => {
    const x = await deliveryOf(orgId, endpointId, pub.eventId);
    return x?.status === webhooks.DeliveryStatus.SUCCEEDED ? x : undefined;
  }, 10_000);
  expect(ok.attempts).toBe(5);
  expect(rx.received.at(-1)!.headers["webhook-id"]).toBe(pub.eventId);
});

it("does not follow redirects and keeps at most 4 KiB of the answer", async () => {
  const { orgId, endpointId } = await setup();
  rx.respond = (_r, n) => (n === 1 ? { status: 302, headers: { location: "http://169.254.169.254/" } } : { status: 500, body: "x".repeat(100_000) });
  const pub = await h.client.publish({ orgId, type: "x.y", data: data(1) });
  await eventually(() => rx.received.length >= 2, 10_000);
  const d = await eventually(() => deliveryOf(orgId, endpointId, pub.eventId));
  const a = await eventually(async () => {
    const r = await h.client.listAttempts({ orgId, endpointId, deliveryId: d.id });
    return r.attempts.length >= 2 ? r.attempts : undefined;
  });
  expect(a[0]).toMatchObject({ statusCode: 302, error: "HTTP 302" });
  expect(a[1]!.responseExcerpt.length).toBe(4096);
});

it("records a timeout as an attempt without an HTTP status", async () => {
  const { orgId, endpointId } = await setup();
  rx.respond = (_r, n) => (n === 1 ? { status: 200, delayMs: 1500 } : { status: 200 });
  const pub = await h.client.publish({ orgId, type: "x.y", data: data(1) });
  const d = await eventually(async () => {
    const x = await deliveryOf(orgId, endpointId, pub.eventId);
    return x?.status === webhooks.DeliveryStatus.SUCCEEDED ? x : undefined;
  }, 10_000);
  const a = await h.client.listAttempts({ orgId, endpointId, deliveryId: d.id });
  expect(a.attempts[0]).toMatchObject({ statusCode: 0, error: "timeout" });
  expect(a.attempts[0]!.durationMs).toBeGreaterThanOrEqual(450);
});

it("spreads deliveries to an endpoint over time at its rate_limit_per_second", async () => {
  const { orgId } = await setup(["*"], 5);
  for (let i = 0; i < 10; i++) await h.client.publish({ orgId, type: "burst.item", data: data(i) });
  await eventually(() => rx.received.length >= 10, 15_000);
  const times = rx.received.map((r) => r.at).sort((a, b) => a - b);
  // Burst of 5 (one second's worth), then 5/s: the 10th cannot arrive before ~1 s after the first.
  expect(times[9]! - times[0]!).toBeGreaterThanOrEqual(800);
});
