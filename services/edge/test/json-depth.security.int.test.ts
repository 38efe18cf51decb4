/**
 * JSON nesting depth through the whole stack: real edge, auth and webhooks services (gRPC,
 * PostgreSQL, Redis). JSON at MAX_JSON_DEPTH travels edge → gRPC → PostgreSQL and back intact;
 * one level more is a 400 `json-too-deep` at the edge; 100,000 levels are refused at once; a deep
 * value sent to the services over gRPC directly (not through the edge) is refused without harming
 * them. Nothing is a 500, nothing is logged at error level (docs/security.md).
 */
import { webhooks } from "@datahub/proto";
import { createRpcClient, GrpcStatus, MAX_JSON_DEPTH } from "@datahub/runtime";
import { TEST_CREDENTIALS } from "@datahub/runtime/testing";
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { send, startEdgeStack, type EdgeStack } from "./support/edge-stack";

let stack: EdgeStack;
let key: string;
let orgId: string;

beforeAll(async () => {
  stack = await startEdgeStack({ routes: "routes: []\n", webhooks: true });
  ({ key, orgId } = await stack.createKey({ scopes: ["*"] }));
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

/** `n` levels of objects as a parsed value. */
const nested = (n: number): JsonObject => JSON.parse('{"a":'.repeat(n) + "1" + "}".repeat(n));

const post = (path: string, body: unknown) =>
  send(stack.edgeUrl, "POST", path, { key, headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

test(`a body nested ${MAX_JSON_DEPTH} levels goes through auth and PostgreSQL and comes back intact`, async () => {
  const metadata = nested(MAX_JSON_DEPTH - 1);
  const created = await post("/v1/keys", { name: "deep", scopes: [], metadata });
  expect(created.status).toBe(201);
  const got = await send(stack.edgeUrl, "GET", `/v1/keys/${created.json.id}`, { key });
  expect(got.json.metadata).toEqual(metadata);
});

test(`an event nested ${MAX_JSON_DEPTH} levels is accepted by the webhooks service`, async () => {
  const r = await post("/v1/events", { type: "order.created", data: nested(MAX_JSON_DEPTH - 1) });
  expect(r.status).toBe(202);
});

test.each([
  ["/v1/keys", { name: "deep", scopes: [], metadata: nested(MAX_JSON_DEPTH) }],
  ["/v1/events", { type: "order.created", data: nested(MAX_JSON_DEPTH) }],
])(`POST %s nested ${MAX_JSON_DEPTH + 1} levels → 400 naming the limit`, async (path, body) => {
  const r = await post(path, body);
  expect(r.status).toBe(400);
  expect(r.json.type).toBe("https://datahub.dev/problems/json-too-deep");
  expect(r.json.detail).toContain(`limit of ${MAX_JSON_DEPTH} levels`);
});

test("100,000 levels → 400 at once, and the edge keeps serving", async () => {
  const started = performance.now();
  const r = await post("/v1/keys", `{"name":"deep","scopes":[],"metadata":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
  expect([r.status, r.json.type]).toEqual([400, "https://datahub.dev/problems/json-too-deep"]);
  expect(performance.now() - started).toBeLessThan(1000);
  expect((await send(stack.edgeUrl, "GET", "/v1/keys", { key })).status).toBe(200);
});

describe("the services, called over gRPC without the edge", () => {
  test(`auth refuses metadata deeper than ${MAX_JSON_DEPTH} levels (INVALID_ARGUMENT naming the limit)`, async () => {
    const err = await stack.auth.createKey({ orgId, name: "deep", scopes: [], metadata: nested(MAX_JSON_DEPTH + 1) }).catch((e) => e);
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toMatch(new RegExp(`^metadata: must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`));
  });

  test("a value too deep for protobuf to decode is an error answer, not a crash; both services keep serving", async () => {
    const client = createRpcClient(webhooks.WebhookService, stack.grpcAddress, { timeoutMs: 5000, credentials: TEST_CREDENTIALS });
    try {
      const tooDeep = nested(60);
      const authErr = await stack.auth.createKey({ orgId, name: "deep", scopes: [], metadata: tooDeep }).catch((e) => e);
      const hookErr = await client.publish({ orgId, type: "order.created", data: fromJson(ValueSchema, tooDeep, { recursionLimit: 1000 }) }).catch((e) => e);
      for (const e of [authErr, hookErr]) {
        expect(e).toBeInstanceOf(Error);
        expect([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.INTERNAL]).toContain(e.code);
      }
      expect((await stack.auth.createKey({ orgId, name: "after", scopes: [] })).key).toMatch(/^dh_/);
      expect((await client.publish({ orgId, type: "order.created", data: fromJson(ValueSchema, { ok: true }) })).eventId).toBeTruthy();
    } finally {
      client.close();
    }
  });
});

describe("afterwards", () => {
  test("nothing was logged at error level", () => {
    expect(stack.logs()).not.toMatch(/"level":"(error|fatal)"/);
  });
});
