/**
 * The exchange protocol's message shape is checked when a service is added, so a proto that drifts
 * from `{ id, batch, traceparent }` / `{ id, batch, error_code, error_message }` fails at start-up,
 * not on traffic.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { audit, ratelimit } from "@datahub/proto";
import { exchangeShape, answerExchange, exchangeCode } from "../src/grpc/exchange/protocol";
import { RpcError, GrpcStatus } from "../src/grpc/errors";

test("both hot-path methods follow the protocol, and their batch schema is the unary request's", () => {
  expect(exchangeShape(ratelimit.RateLimitService.method.checkBatchStream).batch.typeName).toBe("datahub.ratelimit.v1.CheckBatchRequest");
  expect(exchangeShape(audit.AuditService.method.appendLogsStream).batch.typeName).toBe("datahub.audit.v1.AppendLogsRequest");
});

test("a method whose messages lack the protocol's fields is refused, naming the field", () => {
  const check = ratelimit.RateLimitService.method.check;
  const notAnExchange = { ...check, methodKind: "bidi_streaming" } as unknown as DescMethod;
  expect(() => exchangeShape(notAnExchange)).toThrow("datahub.ratelimit.v1.RateLimitService.Check is not an exchange method: datahub.ratelimit.v1.CheckRequest needs a scalar field `id`");
  const answerWithoutCode = { ...ratelimit.RateLimitService.method.checkBatchStream, output: ratelimit.CheckBatchStreamRequestSchema } as unknown as DescMethod;
  expect(() => exchangeShape(answerWithoutCode)).toThrow("needs a scalar field `errorCode`");
});

test("an RpcError becomes the answer's error code; anything else propagates", async () => {
  expect(await answerExchange(3n, async () => ({ ok: 1 }))).toEqual({ id: 3n, batch: { ok: 1 }, errorCode: 0, errorMessage: "" });
  const refused = await answerExchange(4n, async () => {
    throw new RpcError(GrpcStatus.UNAVAILABLE, "redis down");
  });
  expect(refused).toEqual({ id: 4n, errorCode: GrpcStatus.UNAVAILABLE, errorMessage: "redis down" });
  expect(exchangeCode(refused)).toBe("UNAVAILABLE");
  await expect(answerExchange(5n, async () => Promise.reject(new TypeError("bug")))).rejects.toThrow("bug");
});
