/**
 * Management API, errors: bad bodies and queries, unknown objects and paths, wrong methods, and
 * what the client sees when the auth or audit service fails. Every error is an RFC 9457 problem.
 */
import { GrpcStatus } from "@datahub/runtime";
import { startApi, type ApiHarness, type ApiResponse } from "./support/api-harness";

const MAX_BODY = 2048;
let h: ApiHarness;
beforeEach(async () => {
  h = await startApi({ DATAHUB_MAX_BODY_BYTES: String(MAX_BODY) });
});
afterEach(async () => {
  await h.close();
});

/** Asserts the RFC 9457 shape and returns the body. */
function expectProblem(r: ApiResponse, status: number, slug: string) {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  expect(r.body).toMatchObject({ type: `https://datahub.dev/problems/${slug}`, status, requestId: r.headers.get("x-request-id") });
  expect(typeof r.body.title).toBe("string");
  expect(typeof r.body.detail).toBe("string");
  expect(h.contexts.at(-1)!.error).toBe(slug.replace(/-/g, "_"));
  return r.body;
}

describe("request bodies", () => {
  test("malformed JSON → 400 without echoing the body", async () => {
    const r = await h.call("POST", "/v1/keys", { body: '{"name": "x", "scopes": [secret-ish', headers: { "content-type": "application/json" } });
    const p = expectProblem(r, 400, "malformed-json");
    expect(r.text).not.toContain("secret-ish");
    expect(p.detail).toBe("the request body is not valid JSON");
  });

  test("a JSON scalar body is refused (strict mode) → 400", async () => {
    const r = await h.call("POST", "/v1/orgs", { body: '"acme"', headers: { "content-type": "application/json" } });
    expectProblem(r, 400, "malformed-json");
  });

  test("a JSON array body → 400 naming the body", async () => {
    const r = await h.call("POST", "/v1/orgs", { json: [{ name: "acme" }] });
    const p = expectProblem(r, 400, "invalid-request");
    expect(p.detail).toMatch(/^body: /);
  });

  test("wrong types name the field: detail and errors[]", async () => {
    const r = await h.call("POST", "/v1/keys", { json: { name: 42, scopes: ["ok", "Not A Scope"], rateLimit: { limit: "10", windowSeconds: 60 } } });
    const p = expectProblem(r, 400, "invalid-request");
    expect(p.detail).toBe("name: must be a string");
    const paths = p.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "scopes[1]", "rateLimit.limit"]));
    expect(p.errors.find((e: { path: string }) => e.path === "scopes[1]").message).toMatch(/^must match /);
  });

  test("missing required fields are named", async () => {
    const r = await h.call("POST", "/v1/keys", { json: { name: "x" } });
    expect(expectProblem(r, 400, "invalid-request").detail).toMatch(/^scopes: /);
    const empty = await h.call("POST", "/v1/keys");
    expect(expectProblem(empty, 400, "invalid-request").errors.map((e: { path: string }) => e.path)).toEqual(["name", "scopes"]);
  });

  test("unknown fields → 400 naming each", async () => {
    const r = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [], expires_at: "2030-01-01T00:00:00Z" } });
    const p = expectProblem(r, 400, "invalid-request");
    expect(p.detail).toBe("expires_at: unknown field");
    const nested = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [], rateLimit: { limit: 1, windowSeconds: 1, burst: 2 } } });
    expect(expectProblem(nested, 400, "invalid-request").detail).toBe("rateLimit.burst: unknown field");
  });

  test("expiresAt must be an ISO date-time in the future", async () => {
    const past = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [], expiresAt: "2001-01-01T00:00:00Z" } });
    expect(expectProblem(past, 400, "invalid-request").detail).toBe("expiresAt: must be in the future");
    const junk = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [], expiresAt: "tomorrow" } });
    expect(expectProblem(junk, 400, "invalid-request").detail).toMatch(/^expiresAt: must be an ISO-8601 date-time/);
    const created = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [] } });
    const patch = await h.call("PATCH", `/v1/keys/${created.body.id}`, { json: { expiresAt: 1234 } });
    expect(expectProblem(patch, 400, "invalid-request").detail).toMatch(/^expiresAt: /);
  });

  test.each([
    [{ name: "a", scopes: [], metadata: [] }, "metadata: must be a JSON object"],
    [{ name: "a", scopes: [], metadata: null }, "metadata: must be a JSON object"],
    [{ name: "  ", scopes: [] }, "name: must not be empty"],
    [{ name: "a", scopes: "a" }, "scopes: must be an array of scope strings"],
    [{ name: "a", scopes: [], rateLimit: 5 }, "rateLimit: must be an object {limit, windowSeconds, algorithm?}"],
    [{ name: "a", scopes: [], orgId: 5 }, "orgId: must be a string"],
  ])("POST /v1/keys %j → 400 %s", async (json, detail) => {
    const r = await h.call("POST", "/v1/keys", { json });
    expect(expectProblem(r, 400, "invalid-request").detail).toBe(detail);
  });

  test("rateLimit bounds and algorithm are checked", async () => {
    const r = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [], rateLimit: { limit: 0, windowSeconds: 60, algorithm: "leaky" } } });
    const p = expectProblem(r, 400, "invalid-request");
    expect(p.errors).toEqual(
      expect.arrayContaining([
        { path: "rateLimit.limit", message: "must be at least 1" },
        { path: "rateLimit.algorithm", message: expect.stringMatching(/^must be one of sliding-log/) },
      ]),
    );
  });

  test("rotate gracePeriodSeconds out of range → 400", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [] } });
    const r = await h.call("POST", `/v1/keys/${created.body.id}/rotate`, { json: { gracePeriodSeconds: -1 } });
    expect(expectProblem(r, 400, "invalid-request").detail).toMatch(/^gracePeriodSeconds: /);
  });

  test("a body over the limit → 413 problem", async () => {
    const r = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [], metadata: { pad: "x".repeat(MAX_BODY) } } });
    expectProblem(r, 413, "payload-too-large");
  });

  test("a body that is not JSON → 415; an empty body with no Content-Type is fine", async () => {
    const r = await h.call("POST", "/v1/orgs", { body: "name=acme", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectProblem(r, 415, "unsupported-media-type");
    const noType = await h.call("POST", "/v1/orgs", { body: '{"name":"acme"}', headers: { "content-type": "" } });
    expect(noType.status).toBe(415);
    const created = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [] } });
    const rotate = await h.call("POST", `/v1/keys/${created.body.id}/rotate`, { headers: { "content-length": "0" } });
    expect(rotate.status).toBe(201);
  });

  test("application/merge-patch+json is accepted as JSON", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [] } });
    const r = await h.call("PATCH", `/v1/keys/${created.body.id}`, { json: { name: "y" }, headers: { "content-type": "application/merge-patch+json" } });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe("y");
  });
});

describe("query strings", () => {
  test.each([
    ["/v1/keys?limit=0", "limit: must be an integer from 1 to 100"],
    ["/v1/keys?limit=abc", "limit: must be an integer from 1 to 100"],
    ["/v1/keys?limit=1&limit=2", "limit: must be given once"],
    ["/v1/keys?keyid=x", "keyid: unknown field"],
    ["/v1/logs?status=99", "status: must be an HTTP status code from 100 to 599"],
    ["/v1/logs?from=yesterday", "from: must be an ISO-8601 date-time (e.g. 2030-01-01T00:00:00Z) or unix milliseconds"],
    ["/v1/logs?from=2000&to=1000", "to: must be after from"],
    ["/v1/logs?path=api", 'path: must be a path prefix starting with "/"'],
    ["/v1/logs?limit=1001", "limit: must be an integer from 1 to 1000"],
    ["/v1/usage?granularity=week", "granularity: must be one of minute, hour, day"],
  ])("GET %s → 400 %s", async (path, detail) => {
    const r = await h.call("GET", path);
    expect(expectProblem(r, 400, "invalid-request").detail).toBe(detail);
  });
});

describe("unknown objects, paths and methods", () => {
  test.each([
    ["GET", "/v1/keys/0190f3a0-0000-7000-8000-000000000000"],
    ["PATCH", "/v1/keys/0190f3a0-0000-7000-8000-000000000000"],
    ["DELETE", "/v1/keys/0190f3a0-0000-7000-8000-000000000000"],
    ["POST", "/v1/keys/0190f3a0-0000-7000-8000-000000000000/rotate"],
    ["GET", "/v1/keys/not-a-uuid"],
    ["GET", "/v1/logs/no-such-request"],
    ["GET", "/v1/logs/bad%20id"],
  ])("%s %s → 404", async (method, path) => {
    const r = await h.call(method, path, method === "PATCH" ? { json: {} } : {});
    expectProblem(r, 404, "not-found");
  });

  test("a malformed key id never reaches the auth service", async () => {
    await h.call("GET", "/v1/keys/../../etc");
    await h.call("GET", "/v1/keys/x'--");
    expect(h.auth.calls.filter((c) => c.method === "getKey")).toHaveLength(0);
  });

  test.each(["/v1/nope", "/v1/webhooks/a/b/c/d/e/f", "/v1/event", "/v1/keys/a/b/c"])("unknown path %s → 404 problem", async (path) => {
    const r = await h.call("GET", path);
    expectProblem(r, 404, "not-found");
    expect(h.contexts.at(-1)!.route).toBe("");
  });

  test.each([
    ["PUT", "/v1/keys", "GET, POST"],
    ["DELETE", "/v1/orgs", "GET, POST"],
    ["POST", "/v1/keys/0190f3a0-0000-7000-8000-000000000000", "GET, PATCH, DELETE"],
    ["GET", "/v1/keys/0190f3a0-0000-7000-8000-000000000000/rotate", "POST"],
    ["POST", "/v1/logs", "GET"],
    ["DELETE", "/v1/logs/r1", "GET"],
    ["PATCH", "/v1/usage", "GET"],
  ])("%s %s → 405 with Allow: %s", async (method, path, allow) => {
    const r = await h.call(method, path);
    expectProblem(r, 405, "method-not-allowed");
    expect(r.headers.get("allow")).toBe(allow);
  });

  test("a revoked key cannot be changed: FAILED_PRECONDITION → 409", async () => {
    const created = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [] } });
    await h.call("DELETE", `/v1/keys/${created.body.id}`);
    const r = await h.call("PATCH", `/v1/keys/${created.body.id}`, { json: { name: "y" } });
    expect(expectProblem(r, 409, "conflict").detail).toBe("key is revoked");
  });

  test("ALREADY_EXISTS → 409", async () => {
    await h.call("POST", "/v1/orgs", { json: { name: "acme" } });
    const r = await h.call("POST", "/v1/orgs", { json: { name: "acme" } });
    expectProblem(r, 409, "conflict");
  });

  test("root passing an unknown orgId → 404", async () => {
    const r = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [], orgId: "0190f3a0-0000-7000-8000-000000000000" } });
    expect(expectProblem(r, 404, "not-found").detail).toBe("org not found");
    expect(h.auth.calls.filter((c) => c.method === "createKey")).toHaveLength(0);
  });
});

describe("upstream service failures", () => {
  test("INVALID_ARGUMENT from a service passes its message through as 400", async () => {
    h.auth.failNext("createKey", GrpcStatus.INVALID_ARGUMENT, "metadata: must be at most 4096 bytes as JSON");
    const r = await h.call("POST", "/v1/keys", { json: { name: "x", scopes: [] } });
    expect(expectProblem(r, 400, "invalid-request").detail).toBe("metadata: must be at most 4096 bytes as JSON");
  });

  test("PERMISSION_DENIED → 403", async () => {
    h.auth.failNext("listOrgs", GrpcStatus.PERMISSION_DENIED, "nope");
    expectProblem(await h.call("GET", "/v1/orgs"), 403, "forbidden");
  });

  test.each([
    ["auth", "UNAVAILABLE", GrpcStatus.UNAVAILABLE, "/v1/keys"],
    ["auth", "DEADLINE_EXCEEDED", GrpcStatus.DEADLINE_EXCEEDED, "/v1/orgs"],
    ["audit", "UNAVAILABLE", GrpcStatus.UNAVAILABLE, "/v1/logs"],
    ["audit", "DEADLINE_EXCEEDED", GrpcStatus.DEADLINE_EXCEEDED, "/v1/usage"],
  ] as const)("%s %s on GET %s → 503 with Retry-After: 1", async (svc, _name, code, path) => {
    (svc === "auth" ? h.auth : h.audit).failNext("*", code, "connect ECONNREFUSED 127.0.0.1:50051");
    const r = await h.call("GET", path);
    const p = expectProblem(r, 503, "service-unavailable");
    expect(r.headers.get("retry-after")).toBe("1");
    expect(p.detail).not.toContain("ECONNREFUSED");
    expect(JSON.parse(h.logs.lines.find((l) => l.includes("ECONNREFUSED"))!).level).toBe("warn");
  });

  test("INTERNAL → 500 problem with a generic detail; the cause is logged once", async () => {
    h.auth.failNext("getKey", GrpcStatus.INTERNAL, "pq: relation auth.keys does not exist");
    const r = await h.call("GET", "/v1/keys/0190f3a0-0000-7000-8000-000000000000");
    const p = expectProblem(r, 500, "internal-error");
    expect(p.detail).toBe("an internal error occurred");
    expect(r.text).not.toContain("relation");
    const lines = h.logs.lines.filter((l) => l.includes("relation auth.keys"));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", requestId: p.requestId, route: "/v1/keys/:id" });
  });

  test("UNKNOWN from a service → 500 problem", async () => {
    h.audit.failNext("getLog", GrpcStatus.UNKNOWN, "boom");
    expectProblem(await h.call("GET", "/v1/logs/r1"), 500, "internal-error");
  });

  test("a service response missing its object → logged 500, and the API keeps serving", async () => {
    h.auth.replyNext("createOrg", {});
    const r = await h.call("POST", "/v1/orgs", { json: { name: "acme" } });
    expectProblem(r, 500, "internal-error");
    expect(h.logs.text()).toContain("org missing from the service response");
    expect((await h.call("GET", "/v1/orgs")).status).toBe(200);
  });
});

describe("request ids", () => {
  test("problems carry the pipeline's request id", async () => {
    const r = await h.call("GET", "/v1/nope", { headers: { "x-request-id": "client-id-123" } });
    expect(r.body.requestId).toBe("client-id-123");
  });
});
