/**
 * The `/v1` additions the console uses, over HTTP with the real services: key search, the route
 * table in force (and after a reload), and a test event delivered to one endpoint only.
 */
import { createServer, type IncomingMessage } from "node:http";
import { writeFileSync } from "node:fs";
import { eventually } from "@datahub/runtime/testing";
import { send, startEdgeStack, type EdgeStack } from "./support/edge-stack";

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let stack: EdgeStack;
let receiver: { url: string; received: Received[]; close(): Promise<void> };
const json = { "content-type": "application/json" };

const ROUTES = (upstream: string) => `
routes:
  - name: orders
    path: /api/orders
    upstream: http://127.0.0.1:9/base/
    methods: [GET, POST]
    scopes: [orders:read]
    rateLimit: { limit: 10, windowSeconds: 60, algorithm: gcra }
  - name: open
    path: /open
    upstream: ${upstream}
    public: true
`;

beforeAll(async () => {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  receiver = { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
  stack = await startEdgeStack({ routes: ROUTES(url), webhooks: true, env: { DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8" } });
}, 60000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe("GET /v1/keys?search", () => {
  it("finds keys by name or id, and bounds the text", async () => {
    const { key, orgId } = await stack.createKey({ scopes: ["keys:*"] });
    const made = await send(stack.edgeUrl, "POST", "/v1/keys", { key, headers: json, body: JSON.stringify({ name: "Payments worker", scopes: [] }) });
    expect(made.status).toBe(201);
    const byName = await send(stack.edgeUrl, "GET", "/v1/keys?search=payments", { key });
    expect(byName.json.data.map((k: { name: string }) => k.name)).toEqual(["Payments worker"]);
    const byId = await send(stack.edgeUrl, "GET", `/v1/keys?search=${made.json.id}`, { key });
    expect(byId.json.data.map((k: { id: string; orgId: string }) => [k.id, k.orgId])).toEqual([[made.json.id, orgId]]);
    const tooLong = await send(stack.edgeUrl, "GET", `/v1/keys?search=${"x".repeat(101)}`, { key });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.errors[0].path).toBe("search");
  });
});

describe("GET /v1/routes", () => {
  it("shows the routes in force, to root or routes:read only", async () => {
    const { key: reader } = await stack.createKey({ scopes: ["routes:read"] });
    const r = await send(stack.edgeUrl, "GET", "/v1/routes", { key: reader });
    expect(r.status).toBe(200);
    expect(r.json.source).toBe(stack.routesPath);
    expect(r.json.data[0]).toEqual({
      name: "orders",
      path: "/api/orders",
      methods: ["GET", "POST"],
      public: false,
      scopes: ["orders:read"],
      upstream: "http://127.0.0.1:9/base",
      stripPath: expect.any(Boolean),
      timeoutMs: expect.any(Number),
      maxBodyBytes: null,
      rateLimit: { limit: 10, windowSeconds: 60, algorithm: "gcra", failureMode: null },
    });
    const { key: other } = await stack.createKey({ scopes: ["keys:*"] });
    expect((await send(stack.edgeUrl, "GET", "/v1/routes", { key: other })).status).toBe(403);
  });

  it("follows a reload", async () => {
    const { key } = await stack.createKey({ scopes: ["routes:read"] });
    writeFileSync(stack.routesPath, `routes:\n  - name: only\n    path: /only\n    upstream: ${receiver.url}\n`);
    await stack.runner.reload();
    const r = await send(stack.edgeUrl, "GET", "/v1/routes", { key });
    expect(r.json.data.map((x: { name: string }) => x.name)).toEqual(["only"]);
    writeFileSync(stack.routesPath, ROUTES(receiver.url));
    await stack.runner.reload();
  });
});

describe("POST /v1/webhooks/{id}/test", () => {
  it("delivers one signed webhook.test event to that endpoint only", async () => {
    const { key } = await stack.createKey({ scopes: ["webhooks:*"] });
    const target = await send(stack.edgeUrl, "POST", "/v1/webhooks", { key, headers: json, body: JSON.stringify({ url: `${receiver.url}/target`, events: ["order.created"] }) });
    const bystander = await send(stack.edgeUrl, "POST", "/v1/webhooks", { key, headers: json, body: JSON.stringify({ url: `${receiver.url}/bystander`, events: ["*"] }) });
    expect([target.status, bystander.status]).toEqual([201, 201]);
    const sent = await send(stack.edgeUrl, "POST", `/v1/webhooks/${target.json.id}/test`, { key });
    expect(sent.status).toBe(202);
    expect(sent.json).toEqual({ eventId: expect.any(String), deliveryId: expect.any(String) });
    const got = await eventually(() => receiver.received.find((r) => r.path === "/target"), 10_000);
    expect(JSON.parse(got.body)).toMatchObject({ type: "webhook.test", data: { endpointId: target.json.id } });
    expect(got.headers["webhook-id"]).toBe(sent.json.eventId);
    expect(got.headers["webhook-signature"]).toMatch(/^v1,/);
    const deliveries = await send(stack.edgeUrl, "GET", `/v1/webhooks/${target.json.id}/deliveries`, { key });
    expect(deliveries.json.data.map((d: { id: string }) => d.id)).toContain(sent.json.deliveryId);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.filter((r) => r.path === "/bystander")).toEqual([]);
  });

  it("refuses a paused endpoint (409), another org's (404), a key without webhooks:write (403), and webhook.test on /v1/events (400)", async () => {
    const { key } = await stack.createKey({ scopes: ["webhooks:*", "events:write"] });
    const ep = await send(stack.edgeUrl, "POST", "/v1/webhooks", { key, headers: json, body: JSON.stringify({ url: `${receiver.url}/paused`, events: ["*"] }) });
    await send(stack.edgeUrl, "PATCH", `/v1/webhooks/${ep.json.id}`, { key, headers: json, body: JSON.stringify({ status: "disabled" }) });
    const paused = await send(stack.edgeUrl, "POST", `/v1/webhooks/${ep.json.id}/test`, { key });
    expect(paused.status).toBe(409);
    expect(paused.json.detail).toContain("enable it");
    const { key: stranger } = await stack.createKey({ scopes: ["webhooks:*"] });
    expect((await send(stack.edgeUrl, "POST", `/v1/webhooks/${ep.json.id}/test`, { key: stranger })).status).toBe(404);
    const { key: reader } = await stack.createKey({ scopes: ["webhooks:read"] });
    expect((await send(stack.edgeUrl, "POST", `/v1/webhooks/${ep.json.id}/test`, { key: reader })).status).toBe(403);
    const forged = await send(stack.edgeUrl, "POST", "/v1/events", { key, headers: json, body: JSON.stringify({ type: "webhook.test", data: {} }) });
    expect(forged.status).toBe(400);
    expect(receiver.received.filter((r) => r.path === "/paused")).toEqual([]);
  });
});
