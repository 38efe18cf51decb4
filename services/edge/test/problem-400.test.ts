/**
 * One shape for every 400: a non-empty `errors` list whose `path` names a field, a parameter or
 * the part of the request refused as a whole, wherever the 400 comes from (pipeline, HTTP server,
 * body parser, zod, or a service's INVALID_ARGUMENT).
 */
import { GrpcStatus } from "@datahub/runtime";
import { problem } from "../src/problem";
import { serviceFieldError, toApiError } from "../src/api/errors";

test.each([
  ["invalid-path", "path"],
  ["api-key-in-query", "query"],
  ["malformed-json", "body"],
  ["bad-request", "request"],
])("a %s 400 built without errors names the request part %s", (slug, path) => {
  expect(problem(400, slug, "why", "r1").errors).toEqual([{ path, message: "why" }]);
});

test("errors given to a 400 are kept, and other statuses get none", () => {
  const errors = [{ path: "name", message: "must not be empty" }];
  expect(problem(400, "invalid-request", "name: must not be empty", "r1", { errors }).errors).toBe(errors);
  expect(problem(404, "not-found", "key not found", "r1").errors).toBeUndefined();
});

test.each([
  ["url: refused by the SSRF guard: address 127.0.0.1 is loopback", "url"],
  ["cursor is not a cursor returned by QueryLogs", "cursor"],
  ["cursor: not a cursor returned by this list", "cursor"],
  ["from_ms..to_ms spans more than 10000 minute buckets; use a coarser granularity", "from"],
  ["rate_limit_per_second: expected 0 (service default) to 1000, got 5000", "rateLimitPerSecond"],
  ["events[2]: \"X\" is not a pattern", "events[2]"],
  ["rateLimit.algorithm: must be one of …", "rateLimit.algorithm"],
  ["Something without a field", "request"],
])("a service's message %j names the API field %s", (detail, path) => {
  expect(serviceFieldError(detail)).toEqual({ path, message: detail });
});

test("a service's INVALID_ARGUMENT becomes a 400 with errors; body-parser failures name the body", () => {
  const grpc = Object.assign(new Error("3 INVALID_ARGUMENT: cursor: bad"), { code: GrpcStatus.INVALID_ARGUMENT, details: "cursor: bad" });
  const e = toApiError(grpc, () => {});
  expect([e.status, e.slug, e.extra]).toEqual([400, "invalid-request", { errors: [{ path: "cursor", message: "cursor: bad" }] }]);
  const parse = toApiError(Object.assign(new Error("x"), { type: "entity.parse.failed" }), () => {});
  expect([parse.status, parse.slug, parse.extra]).toEqual([400, "malformed-json", { errors: [{ path: "body", message: "the request body is not valid JSON" }] }]);
});
