/**
 * `/v1/webhooks…` and `/v1/events`, security: scopes per route (403 before any call), org
 * isolation (another org's endpoint or delivery is 404 and untouched; every call carries the
 * caller's org; only root may name another org), and the signing secret only ever in the create
 * and rotate-secret responses: never in list/get/patch bodies, problems or logs.
 */
import { webhooks } from "@datahub/proto";
import { orgPrincipal, startApi, type ApiHarness } from "./support/api-harness";

let h: ApiHarness;
let orgA: string;
let orgB: string;
let endpointOfB: { id: string; secret: string };
let deliveryOfB: string;
beforeEach(async () => {
  h = await startApi();
  orgA = h.auth.seedOrg("a").id;
  orgB = h.auth.seedOrg("b").id;
  const r = await h.call("POST", `/v1/webhooks?orgId=${orgB}`, { json: { url: "https://b.example/hook", events: ["*"], description: "b's" } });
  expect(r.status).toBe(201);
  endpointOfB = r.body;
  deliveryOfB = h.webhooks.seedDelivery(endpointOfB.id, { status: webhooks.DeliveryStatus.FAILED }).id;
  h.webhooks.calls.length = 0;
});
afterEach(async () => {
  await h.close();
});

const ID = "0190f3a0-0000-7000-8000-000000000000";

describe("scopes", () => {
  const routes: Array<[string, string, string, unknown]> = [
    ["POST", "/v1/webhooks", "webhooks:write", { url: "https://a.example/x", events: ["*"] }],
    ["GET", "/v1/webhooks", "webhooks:read", null],
    ["GET", `/v1/webhooks/${ID}`, "webhooks:read", null],
    ["PATCH", `/v1/webhooks/${ID}`, "webhooks:write", { description: "x" }],
    ["DELETE", `/v1/webhooks/${ID}`, "webhooks:write", null],
    ["POST", `/v1/webhooks/${ID}/rotate-secret`, "webhooks:write", null],
    ["GET", `/v1/webhooks/${ID}/deliveries`, "webhooks:read", null],
    ["GET", `/v1/webhooks/${ID}/deliveries/${ID}/attempts`, "webhooks:read", null],
    ["POST", `/v1/webhooks/${ID}/deliveries/${ID}/retry`, "webhooks:write", null],
    ["POST", "/v1/events", "events:write", { type: "a.b", data: {} }],
  ];

  test.each(routes)("%s %s needs %s (403 before any call)", async (method, path, scope, json) => {
    // Everything except the one scope: a read scope never writes, a write scope never reads.
    const others = ["webhooks:read", "webhooks:write", "events:write", "keys:*", "logs:read"].filter((s) => s !== scope);
    h.as(orgPrincipal(h, orgA, others));
    const r = await h.call(method, path, json === null ? {} : { json });
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain(scope);
    expect(h.webhooks.calls).toHaveLength(0);
  });

  test.each(routes)("%s %s works with %s alone (or webhooks:* / *)", async (method, path, scope, json) => {
    for (const scopes of [[scope], [scope.startsWith("webhooks") ? "webhooks:*" : "events:*"], ["*"]]) {
      h.as(orgPrincipal(h, orgA, scopes));
      const r = await h.call(method, path, json === null ? {} : { json });
      expect([scopes, r.status]).not.toEqual([scopes, 403]);
    }
  });
});

describe("org isolation", () => {
  beforeEach(() => h.as(orgPrincipal(h, orgA, ["*"])));

  test.each([
    ["GET", () => `/v1/webhooks/${endpointOfB.id}`],
    ["PATCH", () => `/v1/webhooks/${endpointOfB.id}`],
    ["DELETE", () => `/v1/webhooks/${endpointOfB.id}`],
    ["POST", () => `/v1/webhooks/${endpointOfB.id}/rotate-secret`],
    ["GET", () => `/v1/webhooks/${endpointOfB.id}/deliveries`],
    ["GET", () => `/v1/webhooks/${endpointOfB.id}/deliveries/${deliveryOfB}/attempts`],
    ["POST", () => `/v1/webhooks/${endpointOfB.id}/deliveries/${deliveryOfB}/retry`],
  ])("%s on another org's endpoint → 404, nothing changes", async (method, path) => {
    const before = h.webhooks.secrets.length;
    const r = await h.call(method, path(), method === "PATCH" ? { json: { url: "https://evil.example/steal", status: "disabled" } } : {});
    expect(r.status).toBe(404);
    const e = h.webhooks.endpoints.get(endpointOfB.id)!;
    expect(e.endpoint.url).toBe("https://b.example/hook");
    expect(e.endpoint.status).toBe(webhooks.EndpointStatus.ENABLED);
    expect(h.webhooks.secrets.length).toBe(before);
    expect(h.webhooks.deliveries.get(deliveryOfB)!.status).toBe(webhooks.DeliveryStatus.FAILED);
  });

  test("a non-root key naming another org with ?orgId → 404 before any webhooks call", async () => {
    for (const [method, path] of [
      ["GET", `/v1/webhooks?orgId=${orgB}`],
      ["GET", `/v1/webhooks/${endpointOfB.id}?orgId=${orgB}`],
      ["POST", `/v1/events?orgId=${orgB}`],
    ] as const) {
      const r = await h.call(method, path, method === "POST" ? { json: { type: "a", data: {} } } : {});
      expect([path, r.status]).toEqual([path, 404]);
    }
    expect(h.webhooks.calls).toHaveLength(0);
  });

  test("root naming an org that does not exist → 404", async () => {
    h.as(h.root);
    expect((await h.call("GET", `/v1/webhooks?orgId=${ID}`)).status).toBe(404);
  });

  test("every webhooks RPC carries the caller's org; lists and events stay in it", async () => {
    await h.call("GET", "/v1/webhooks");
    await h.call("GET", `/v1/webhooks/${endpointOfB.id}`);
    await h.call("POST", "/v1/webhooks", { json: { url: "https://a.example/x", events: ["*"] } });
    const ev = await h.call("POST", "/v1/events", { json: { type: "order.created", data: {} } });
    expect(ev.status).toBe(202);
    expect(new Set(h.webhooks.calls.map((c) => c.req.orgId))).toEqual(new Set([orgA]));
    const list = await h.call("GET", "/v1/webhooks");
    expect(list.body.data.map((e: { orgId: string }) => e.orgId)).toEqual([orgA]);
    // B's "*" endpoint got nothing from A's event.
    expect([...h.webhooks.deliveries.values()].filter((d) => d.endpointId === endpointOfB.id)).toHaveLength(1);
  });
});

describe("the signing secret", () => {
  test("appears only in the create and rotate-secret responses, never in reads, problems or logs", async () => {
    const created = await h.call("POST", "/v1/webhooks", { json: { url: "https://a.example/x", events: ["*"] } });
    const rotated = await h.call("POST", `/v1/webhooks/${created.body.id}/rotate-secret`);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    const reads = [
      await h.call("GET", "/v1/webhooks"),
      await h.call("GET", `/v1/webhooks/${created.body.id}`),
      await h.call("PATCH", `/v1/webhooks/${created.body.id}`, { json: { description: "x" } }),
      await h.call("GET", `/v1/webhooks/${created.body.id}/deliveries`),
      await h.call("POST", "/v1/webhooks", { json: { url: "https://a.example/x", events: ["*"], secret: created.body.secret } }),
      await h.call("PATCH", `/v1/webhooks/${created.body.id}`, { json: { [rotated.body.secret]: 1 } }),
    ];
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 400, 400]);
    const logs = h.logs.text();
    for (const secret of h.webhooks.secrets) {
      for (const r of reads) expect(r.text).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    // A field name that looks like a secret is redacted in the problem.
    expect(reads[5]!.body.detail).toBe("[redacted]: unknown field");
  });
});
