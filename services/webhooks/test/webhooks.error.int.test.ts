/**
 * Bad input is INVALID_ARGUMENT naming the field; another org's objects are NOT_FOUND; a disabled
 * endpoint's delivery cannot be retried (FAILED_PRECONDITION).
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { webhooks } from "@datahub/proto";
import { GrpcStatus } from "@datahub/runtime";
import { newOrg, startReceiver, startWebhooks, type Receiver, type WebhooksHarness } from "./harness";

let h: WebhooksHarness;
let rx: Receiver;

beforeAll(async () => {
  h = await startWebhooks();
  rx = await startReceiver();
});
afterAll(async () => {
  await h?.close();
  await rx?.close();
});

const data = (v: unknown) => fromJson(ValueSchema, v as never);

async function rpcError(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; details: string };
  }
  throw new Error("expected the call to fail");
}

describe("CreateEndpoint refuses bad input with INVALID_ARGUMENT naming the field", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["missing url", { url: "" }, /^url: is required/],
    ["not a URL", { url: "not a url" }, /^url: not a valid absolute URL/],
    ["ftp URL", { url: "ftp://127.0.0.1/x" }, /^url: only http and https/],
    ["file URL", { url: "file:///etc/passwd" }, /^url: only http and https/],
    ["credentials in URL", { url: "http://user:pw@127.0.0.1/x" }, /^url: credentials/],
    ["empty events", { events: [] }, /^events: at least one/],
    ["uppercase pattern", { events: ["Order.created"] }, /^events\[0\]: /],
    ["wildcard in the middle", { events: ["order.*.x"] }, /^events\[0\]: /],
    ["leading wildcard", { events: ["ok", "*.created"] }, /^events\[1\]: /],
    ["empty pattern", { events: [""] }, /^events\[0\]: /],
    ["bad characters", { events: ["order created"] }, /^events\[0\]: /],
    ["rate out of range", { rateLimitPerSecond: 10_001 }, /^rate_limit_per_second: /],
    ["description too long", { description: "d".repeat(1025) }, /^description: /],
    ["missing org", { orgId: "" }, /^org_id: /],
  ];
  it.each(cases)("%s", async (_name, patch, message) => {
    const req = { orgId: newOrg(), url: rx.url, events: ["*"], ...patch };
    const err = await rpcError(h.client.createEndpoint(req as never));
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
  });
});

it("UpdateEndpoint refuses an empty event list and a bad URL", async () => {
  const orgId = newOrg();
  const { endpoint } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
  const e1 = await rpcError(h.client.updateEndpoint({ orgId, id: endpoint!.id, setEvents: true, events: [] }));
  expect([e1.code, e1.details]).toEqual([GrpcStatus.INVALID_ARGUMENT, expect.stringMatching(/^events: /)]);
  const e2 = await rpcError(h.client.updateEndpoint({ orgId, id: endpoint!.id, url: "gopher://127.0.0.1/" }));
  expect([e2.code, e2.details]).toEqual([GrpcStatus.INVALID_ARGUMENT, expect.stringMatching(/^url: /)]);
});

describe("Publish refuses bad input", () => {
  it("a payload over 256 KiB", async () => {
    const err = await rpcError(h.client.publish({ orgId: newOrg(), type: "big.event", data: data({ blob: "x".repeat(262_144) }) }));
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^data: payload is \d+ bytes; at most 262144/);
  });
  it("a payload just under the limit is accepted", async () => {
    const r = await h.client.publish({ orgId: newOrg(), type: "big.event", data: data({ blob: "x".repeat(262_000) }) });
    expect(r.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });
  it.each([[""], ["Order.Created"], ["order.*"], ["*"], ["a..b"], ["a".repeat(129)]])("type %p", async (type) => {
    const err = await rpcError(h.client.publish({ orgId: newOrg(), type, data: data(1) }));
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^type: /);
  });
  it("an idempotency key over 256 characters", async () => {
    const err = await rpcError(h.client.publish({ orgId: newOrg(), type: "a.b", data: data(1), idempotencyKey: "k".repeat(257) }));
    expect(err.details).toMatch(/^idempotency_key: /);
  });
});

it("a malformed cursor is INVALID_ARGUMENT", async () => {
  const err = await rpcError(h.client.listEndpoints({ orgId: newOrg(), cursor: "!!" }));
  expect([err.code, err.details]).toEqual([GrpcStatus.INVALID_ARGUMENT, expect.stringMatching(/^cursor: /)]);
});

it("another org's endpoint, deliveries and attempts are NOT_FOUND", async () => {
  const owner = newOrg();
  const intruder = newOrg();
  const { endpoint } = await h.client.createEndpoint({ orgId: owner, url: rx.url, events: ["*"] });
  const id = endpoint!.id;
  await h.client.publish({ orgId: owner, type: "a.b", data: data(1) });
  const { rows } = await h.pool.query(`SELECT id FROM webhooks.deliveries WHERE endpoint_id = $1`, [id]);
  const deliveryId = rows[0].id as string;
  const calls = [
    h.client.getEndpoint({ orgId: intruder, id }),
    h.client.updateEndpoint({ orgId: intruder, id, description: "mine" }),
    h.client.deleteEndpoint({ orgId: intruder, id }),
    h.client.rotateSecret({ orgId: intruder, id }),
    h.client.listDeliveries({ orgId: intruder, endpointId: id }),
    h.client.listAttempts({ orgId: intruder, endpointId: id, deliveryId }),
    h.client.retryDelivery({ orgId: intruder, endpointId: id, deliveryId }),
    h.client.getEndpoint({ orgId: owner, id: "not-a-uuid" }),
  ];
  for (const c of calls) expect((await rpcError(c)).code).toBe(GrpcStatus.NOT_FOUND);
  expect((await h.client.getEndpoint({ orgId: owner, id })).endpoint!.description).toBe("");
});

it("retrying a delivery of a disabled endpoint is FAILED_PRECONDITION", async () => {
  const orgId = newOrg();
  const { endpoint } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
  await h.client.updateEndpoint({ orgId, id: endpoint!.id, status: webhooks.EndpointStatus.DISABLED });
  // A delivery created before the endpoint was disabled.
  const { rows } = await h.pool.query(
    `WITH ev AS (INSERT INTO webhooks.events (id, org_id, type, payload) VALUES (gen_random_uuid(), $1, 'a.b', '1') RETURNING id)
     INSERT INTO webhooks.deliveries (id, org_id, endpoint_id, event_id, event_type, status) SELECT gen_random_uuid(), $1, $2, id, 'a.b', 'failed' FROM ev RETURNING id`,
    [orgId, endpoint!.id],
  );
  const err = await rpcError(h.client.retryDelivery({ orgId, endpointId: endpoint!.id, deliveryId: rows[0].id }));
  expect(err.code).toBe(GrpcStatus.FAILED_PRECONDITION);
});
