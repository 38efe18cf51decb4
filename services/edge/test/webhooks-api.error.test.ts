/**
 * `/v1/webhooks…` and `/v1/events`, errors: every 400 names the field, unknown objects are 404,
 * wrong methods 405, oversized events 413, service errors map to 400/404/409, and a webhooks
 * service that is down (or not serving WebhookService) answers 503, never 500, while the rest
 * of the API keeps working.
 */
import { GrpcStatus } from "@datahub/runtime";
import { startApi, type ApiHarness, type ApiResponse } from "./support/api-harness";

let h: ApiHarness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => {
  await h.close();
});

const GOOD = { url: "https://hooks.example.com/in", events: ["order.*"] };
const MISSING = "0190f3a0-0000-7000-8000-000000000000";

function expectProblem(r: ApiResponse, status: number, slug: string) {
  expect([r.status, r.text.slice(0, 300)]).toEqual([status, expect.any(String)]);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  expect(r.body).toMatchObject({ type: `https://datahub.dev/problems/${slug}`, status, requestId: r.headers.get("x-request-id") });
  return r.body as { detail: string; errors?: Array<{ path: string; message: string }> };
}

async function endpoint(): Promise<string> {
  const r = await h.call("POST", "/v1/webhooks", { json: GOOD });
  expect(r.status).toBe(201);
  return r.body.id;
}

describe("bad input → 400 naming the field, before any call", () => {
  test.each<[string, Record<string, unknown>, string]>([
    ["missing url", { events: ["*"] }, "url"],
    ["url not a URL", { ...GOOD, url: "not a url" }, "url"],
    ["ftp url", { ...GOOD, url: "ftp://example.com/x" }, "url"],
    ["javascript: url", { ...GOOD, url: "javascript:alert(1)" }, "url"],
    ["url with fragment", { ...GOOD, url: "https://a.example/#x" }, "url"],
    ["url too long", { ...GOOD, url: "https://a.example/" + "x".repeat(2100) }, "url"],
    ["events missing", { url: GOOD.url }, "events"],
    ["events empty", { ...GOOD, events: [] }, "events"],
    ["events not an array", { ...GOOD, events: "order.*" }, "events"],
    ["bad pattern", { ...GOOD, events: ["order.created", "order..x"] }, "events[1]"],
    ["mid wildcard", { ...GOOD, events: ["order.*.x"] }, "events[0]"],
    ["bare prefix wildcard", { ...GOOD, events: ["order*"] }, "events[0]"],
    ["description too long", { ...GOOD, description: "é".repeat(513) }, "description"],
    ["rateLimitPerSecond 0", { ...GOOD, rateLimitPerSecond: 0 }, "rateLimitPerSecond"],
    ["rateLimitPerSecond 1001", { ...GOOD, rateLimitPerSecond: 1001 }, "rateLimitPerSecond"],
    ["rateLimitPerSecond fractional", { ...GOOD, rateLimitPerSecond: 1.5 }, "rateLimitPerSecond"],
    ["unknown field", { ...GOOD, secret: "whsec_mine" }, "secret"],
  ])("POST /v1/webhooks: %s", async (_name, json, field) => {
    const p = expectProblem(await h.call("POST", "/v1/webhooks", { json }), 400, "invalid-request");
    expect(p.detail.startsWith(`${field}: `)).toBe(true);
    expect(h.webhooks.calls).toHaveLength(0);
  });

  test("description of exactly 1 KiB is accepted", async () => {
    const r = await h.call("POST", "/v1/webhooks", { json: { ...GOOD, description: "x".repeat(1024) } });
    expect(r.status).toBe(201);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["events empty", { events: [] }, "events"],
    ["bad status", { status: "paused" }, "status"],
    ["bad url", { url: "mailto:a@b.c" }, "url"],
    ["null url", { url: null }, "url"],
  ])("PATCH /v1/webhooks/{id}: %s", async (_name, json, field) => {
    const id = await endpoint();
    const p = expectProblem(await h.call("PATCH", `/v1/webhooks/${id}`, { json }), 400, "invalid-request");
    expect(p.detail.startsWith(`${field}: `)).toBe(true);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["type missing", { data: {} }, "type"],
    ["type with spaces", { type: "order created", data: {} }, "type"],
    ["type a pattern", { type: "order.*", data: {} }, "type"],
    ["type too long", { type: "a".repeat(129), data: {} }, "type"],
    ["system type", { type: "key.revoked", data: {} }, "type"],
    ["data missing", { type: "order.created" }, "data"],
    ["data an array", { type: "order.created", data: [1] }, "data"],
    ["idempotencyKey empty", { type: "a.b", data: {}, idempotencyKey: "" }, "idempotencyKey"],
    ["idempotencyKey with spaces", { type: "a.b", data: {}, idempotencyKey: "a b" }, "idempotencyKey"],
  ])("POST /v1/events: %s", async (_name, json, field) => {
    const p = expectProblem(await h.call("POST", "/v1/events", { json }), 400, "invalid-request");
    expect(p.detail.startsWith(`${field}: `)).toBe(true);
    expect(h.webhooks.calls).toHaveLength(0);
  });

  test.each([
    ["/v1/webhooks?limit=0", "limit"],
    ["/v1/webhooks?limit=101", "limit"],
    ["/v1/webhooks?bogus=1", "bogus"],
    [`/v1/webhooks/${MISSING}/deliveries?status=done`, "status"],
    [`/v1/webhooks/${MISSING}/deliveries?limit=x`, "limit"],
  ])("GET %s → 400 naming %s", async (path, field) => {
    const p = expectProblem(await h.call("GET", path), 400, "invalid-request");
    expect(p.detail.startsWith(`${field}: `)).toBe(true);
  });

  test("a body on rotate-secret or retry must be empty or {}", async () => {
    const id = await endpoint();
    expectProblem(await h.call("POST", `/v1/webhooks/${id}/rotate-secret`, { json: { secret: "x" } }), 400, "invalid-request");
    expect((await h.call("POST", `/v1/webhooks/${id}/rotate-secret`, { json: {} })).status).toBe(200);
  });

  test("a non-JSON body → 415", async () => {
    expectProblem(await h.call("POST", "/v1/events", { body: "type=a", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported-media-type");
  });
});

describe("sizes", () => {
  test("POST /v1/events over 256 KiB → 413, before any call", async () => {
    const r = await h.call("POST", "/v1/events", { json: { type: "big.one", data: { blob: "x".repeat(256 * 1024) } } });
    expectProblem(r, 413, "payload-too-large");
    expect(h.webhooks.calls).toHaveLength(0);
  });

  test("DATAHUB_MAX_EVENT_BYTES sets the event limit", async () => {
    const small = await startApi({ DATAHUB_MAX_EVENT_BYTES: "100" });
    try {
      expect((await small.call("POST", "/v1/events", { json: { type: "a", data: { x: "y".repeat(100) } } })).status).toBe(413);
      expect((await small.call("POST", "/v1/events", { json: { type: "a", data: {} } })).status).toBe(202);
    } finally {
      await small.close();
    }
  });
});

describe("unknown objects and methods", () => {
  test.each([
    ["GET", `/v1/webhooks/${MISSING}`],
    ["PATCH", `/v1/webhooks/${MISSING}`],
    ["DELETE", `/v1/webhooks/${MISSING}`],
    ["POST", `/v1/webhooks/${MISSING}/rotate-secret`],
    ["GET", `/v1/webhooks/${MISSING}/deliveries`],
    ["GET", `/v1/webhooks/${MISSING}/deliveries/${MISSING}/attempts`],
    ["POST", `/v1/webhooks/${MISSING}/deliveries/${MISSING}/retry`],
  ])("%s %s → 404 from the service", async (method, path) => {
    expectProblem(await h.call(method, path, method === "PATCH" ? { json: { description: "x" } } : {}), 404, "not-found");
  });

  test("an unknown delivery of a real endpoint → 404", async () => {
    const id = await endpoint();
    expectProblem(await h.call("POST", `/v1/webhooks/${id}/deliveries/${MISSING}/retry`), 404, "not-found");
  });

  test.each(["/v1/webhooks/not-a-uuid", "/v1/webhooks/x'--/deliveries", `/v1/webhooks/${MISSING}/deliveries/../attempts`])("malformed id %s → 404 without a call", async (path) => {
    expectProblem(await h.call("GET", path), 404, "not-found");
    expect(h.webhooks.calls).toHaveLength(0);
  });

  test.each([
    ["PUT", "/v1/webhooks", "GET, POST"],
    ["POST", `/v1/webhooks/${MISSING}`, "GET, PATCH, DELETE"],
    ["GET", `/v1/webhooks/${MISSING}/rotate-secret`, "POST"],
    ["POST", `/v1/webhooks/${MISSING}/deliveries`, "GET"],
    ["DELETE", `/v1/webhooks/${MISSING}/deliveries/${MISSING}/attempts`, "GET"],
    ["GET", `/v1/webhooks/${MISSING}/deliveries/${MISSING}/retry`, "POST"],
    ["GET", "/v1/events", "POST"],
  ])("%s %s → 405 Allow: %s", async (method, path, allow) => {
    const r = await h.call(method, path);
    expectProblem(r, 405, "method-not-allowed");
    expect(r.headers.get("allow")).toBe(allow);
  });
});

describe("service errors", () => {
  test("INVALID_ARGUMENT (e.g. the SSRF guard) → 400 with the service's message", async () => {
    const p = expectProblem(await h.call("POST", "/v1/webhooks", { json: { ...GOOD, url: "http://169.254.169.254/latest" } }), 400, "invalid-request");
    expect(p.detail).toBe("url: resolves to a private or loopback address");
  });

  test("FAILED_PRECONDITION (retrying a succeeded delivery) → 409", async () => {
    const id = await endpoint();
    h.webhooks.failNext("retryDelivery", GrpcStatus.FAILED_PRECONDITION, "delivery already succeeded");
    const p = expectProblem(await h.call("POST", `/v1/webhooks/${id}/deliveries/${MISSING}/retry`), 409, "conflict");
    expect(p.detail).toBe("delivery already succeeded");
  });

  test.each([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.UNIMPLEMENTED])("status %s from the service → 503 with Retry-After", async (code) => {
    h.webhooks.failNext("*", code, "injected");
    const r = await h.call("GET", "/v1/webhooks");
    expectProblem(r, 503, "service-unavailable");
    expect(r.headers.get("retry-after")).toBe("1");
  });

  test("INTERNAL → 500 with a generic detail", async () => {
    h.webhooks.failNext("*", GrpcStatus.INTERNAL, "boom: secret-ish detail");
    const r = await h.call("POST", "/v1/events", { json: { type: "a", data: {} } });
    const p = expectProblem(r, 500, "internal-error");
    expect(p.detail).not.toContain("secret-ish");
  });
});

describe("webhooks service down", () => {
  test("every webhooks route answers 503 (never 500 or a hang); keys and logs keep working", async () => {
    const id = await endpoint();
    await h.webhooksServer.stop();
    const calls: Array<[string, string, unknown?]> = [
      ["POST", "/v1/webhooks", GOOD],
      ["GET", "/v1/webhooks"],
      ["GET", `/v1/webhooks/${id}`],
      ["PATCH", `/v1/webhooks/${id}`, { description: "x" }],
      ["DELETE", `/v1/webhooks/${id}`],
      ["POST", `/v1/webhooks/${id}/rotate-secret`],
      ["GET", `/v1/webhooks/${id}/deliveries`],
      ["GET", `/v1/webhooks/${id}/deliveries/${MISSING}/attempts`],
      ["POST", `/v1/webhooks/${id}/deliveries/${MISSING}/retry`],
      ["POST", "/v1/events", { type: "a", data: {} }],
    ];
    for (const [method, path, json] of calls) {
      const started = Date.now();
      const r = await h.call(method, path, json === undefined ? {} : { json });
      expect([method, path, r.status]).toEqual([method, path, 503]);
      expect(r.body.type).toBe("https://datahub.dev/problems/service-unavailable");
      expect(Date.now() - started).toBeLessThan(2500); // bounded by the RPC deadline
    }
    expect((await h.call("GET", "/v1/keys")).status).toBe(200);
    expect((await h.call("GET", "/v1/logs")).status).toBe(200);
    // Logged as an outage (warn), not as a bug (error).
    const lines = h.logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.some((l) => l.msg === "management API: backing service unavailable")).toBe(true);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  }, 30_000);

  test("the routes recover when the service comes back", async () => {
    await h.webhooksServer.stop();
    expect((await h.call("GET", "/v1/webhooks")).status).toBe(503);
    await h.webhooksServer.start();
    // grpc-js reconnects with backoff (100 ms initial in the runtime client).
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await h.call("GET", "/v1/webhooks")).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  }, 30_000);
});
