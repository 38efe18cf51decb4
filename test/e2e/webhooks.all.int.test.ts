/**
 * Webhook dispatch end to end, every service in this process (DATAHUB_TARGET=all): endpoints and
 * events through the edge's `/v1` API, fan-out and delivery by the real webhooks service (Postgres
 * outbox, BullMQ on Redis), signatures checked with the independent `standardwebhooks` package, and
 * the system events of the other services (auth's `key.created`, the edge's `ratelimit.exceeded`).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { Webhook } from "standardwebhooks";
import { eventually } from "@datahub/runtime/testing";
import { call, createOrgAndKey, startStack, startUpstream, type Stack } from "../support/stack";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local receiver: records every POST; `failFirst` answers 500 to the first N requests of a path. */
async function startReceiver(): Promise<{ url: string; got: Received[]; failFirst: Map<string, number>; close(): Promise<void> }> {
  const got: Received[] = [];
  const failFirst = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const left = failFirst.get(req.url ?? "") ?? 0;
      if (left > 0) failFirst.set(req.url ?? "", left - 1);
      res.writeHead(left > 0 ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    failFirst,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Verifies a delivery's signature with standardwebhooks and returns its parsed body. */
function verified(secret: string, r: Received): { id: string; type: string; timestamp: string; data: Record<string, unknown> } {
  const h = (name: string) => String(r.headers[name]);
  return new Webhook(secret).verify(r.body, { "webhook-id": h("webhook-id"), "webhook-timestamp": h("webhook-timestamp"), "webhook-signature": h("webhook-signature") }) as never;
}

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  upstream = await startUpstream();
  receiver = await startReceiver();
  stack = await startStack({
    routes: `
routes:
  - name: tight
    path: /api/tight
    upstream: ${upstream.url}
    scopes: []
    rateLimit: { limit: 2, windowSeconds: 60 }
`,
    env: {
      DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8",
      DATAHUB_WEBHOOKS_RETRY_SCHEDULE: "300ms,300ms,300ms",
      DATAHUB_WEBHOOKS_SWEEP_MS: "200",
      DATAHUB_AUTH_EVENTS_INTERVAL_MS: "100",
    },
  });
}, 60000);

afterAll(async () => {
  if (process.env.E2E_DEBUG) console.log(stack?.logs());
  await stack?.stop();
  await receiver?.close();
  await upstream?.close();
});

/** An org, a key with every scope in it, and an endpoint on the receiver at `path`. */
async function orgWithEndpoint(path: string, events: string[]) {
  const { org, key } = await createOrgAndKey(stack);
  const ep = await call(stack.edgeUrl, "POST", "/v1/webhooks", { key: key.key, body: { url: `${receiver.url}${path}`, events } });
  expect(ep.status).toBe(201);
  expect(ep.json.secret).toMatch(/^whsec_/);
  return { org, key, endpoint: ep.json as { id: string; secret: string } };
}

describe("webhooks end to end (all in one process)", () => {
  it("delivers a published event, signed so that standardwebhooks verifies it, to the subscribed endpoint only", async () => {
    const a = await orgWithEndpoint("/a", ["order.*"]);
    const b = await orgWithEndpoint("/b", ["order.*"]);

    const pub = await call(stack.edgeUrl, "POST", "/v1/events", { key: b.key.key, body: { type: "order.created", data: { org: "b" } } });
    expect(pub.status).toBe(202);
    const other = await call(stack.edgeUrl, "POST", "/v1/events", { key: a.key.key, body: { type: "invoice.paid", data: {} } });
    expect(other.status).toBe(202);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const mine = await call(stack.edgeUrl, "POST", "/v1/events", {
      key: a.key.key,
      body: { type: "order.created", data: { org: "a", n: 1 } },
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(mine.status).toBe(202);

    await eventually(() => (expect(receiver.got.filter((r) => r.path === "/a")).toHaveLength(1), true), 10000);
    const delivery = receiver.got.find((r) => r.path === "/a")!;
    const event = verified(a.endpoint.secret, delivery);
    expect(event).toMatchObject({ id: mine.json.id, type: "order.created", data: { org: "a", n: 1 } });
    expect(delivery.headers["webhook-id"]).toBe(mine.json.id);
    // The publisher's trace continues into the delivery.
    expect(delivery.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
    // Org b's event went to org b's endpoint, and invoice.paid matched no pattern of a's.
    await eventually(() => (expect(receiver.got.filter((r) => r.path === "/b")).toHaveLength(1), true), 10000);
    expect(verified(b.endpoint.secret, receiver.got.find((r) => r.path === "/b")!).data).toEqual({ org: "b" });
    expect(() => verified(a.endpoint.secret, receiver.got.find((r) => r.path === "/b")!)).toThrow();

    const list = await call(stack.edgeUrl, "GET", `/v1/webhooks/${a.endpoint.id}/deliveries`, { key: a.key.key });
    expect(list.status).toBe(200);
    expect(list.json.data).toEqual([expect.objectContaining({ eventId: mine.json.id, eventType: "order.created", status: "succeeded", attempts: 1 })]);
  }, 30000);

  it("retries a failing receiver with the same webhook-id and records every attempt", async () => {
    const c = await orgWithEndpoint("/flaky", ["*"]);
    receiver.failFirst.set("/flaky", 2);
    const pub = await call(stack.edgeUrl, "POST", "/v1/events", { key: c.key.key, body: { type: "order.shipped", data: { n: 2 } } });
    expect(pub.status).toBe(202);
    await eventually(() => (expect(receiver.got.filter((r) => r.path === "/flaky")).toHaveLength(3), true), 15000);
    const ids = new Set(receiver.got.filter((r) => r.path === "/flaky").map((r) => r.headers["webhook-id"]));
    expect([...ids]).toEqual([pub.json.id]);

    let deliveryId = "";
    await eventually(async () => {
      const list = await call(stack.edgeUrl, "GET", `/v1/webhooks/${c.endpoint.id}/deliveries`, { key: c.key.key });
      expect(list.json.data[0]).toMatchObject({ status: "succeeded", attempts: 3 });
      deliveryId = list.json.data[0].id;
      return true;
    }, 10000);
    const attempts = await call(stack.edgeUrl, "GET", `/v1/webhooks/${c.endpoint.id}/deliveries/${deliveryId}/attempts`, { key: c.key.key });
    expect(attempts.status).toBe(200);
    expect(attempts.json.data.map((x: { statusCode: number }) => x.statusCode)).toEqual([500, 500, 204]);
  }, 30000);

  it("delivers auth's key.created (without the secret) and the edge's ratelimit.exceeded once per window", async () => {
    const d = await orgWithEndpoint("/system", ["key.*", "ratelimit.exceeded"]);
    const created = await call(stack.edgeUrl, "POST", "/v1/keys", { key: d.key.key, body: { name: "second", scopes: [] } });
    expect(created.status).toBe(201);

    await eventually(() => {
      const events = receiver.got.filter((r) => r.path === "/system").map((r) => verified(d.endpoint.secret, r));
      expect(events.map((e) => [e.type, e.data.id])).toContainEqual(["key.created", created.json.id]);
      return true;
    }, 15000);
    for (const r of receiver.got.filter((x) => x.path === "/system")) expect(r.body).not.toContain(created.json.key);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(stack.edgeUrl, "GET", "/api/tight/x", { key: created.json.key })).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    await eventually(() => {
      const events = receiver.got.filter((r) => r.path === "/system").map((r) => verified(d.endpoint.secret, r));
      expect(events.filter((e) => e.type === "ratelimit.exceeded")).toEqual([expect.objectContaining({ data: expect.objectContaining({ keyId: created.json.id }) })]);
      return true;
    }, 15000);
    // Three 429s in one window: still one event after the later ones had time to arrive.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.got.filter((r) => r.path === "/system" && r.body.includes('"ratelimit.exceeded"'))).toHaveLength(1);
  }, 40000);
});
