/**
 * The exchange protocol: how DataHub's batched hot-path calls (RateLimitService.CheckBatchStream,
 * AuditService.AppendLogsStream) travel. It is the only way those batches travel, with tracing
 * on or off, so what runs in production is what the tests and the traces see.
 *
 * An exchange method is a bidi-streaming RPC whose messages have this shape:
 *
 *     request  { uint64 id; Batch batch; string traceparent }
 *     response { uint64 id; Answer batch; uint32 error_code; string error_message }
 *
 * - Each request message is one call: its `batch` is handled like a unary request and answered by
 *   the response message with the same `id` (answers may come in any order). A message on an open
 *   stream costs one HTTP/2 DATA frame instead of a whole call (docs/architecture.md, "Batch streams").
 * - A batch refused as a whole is answered with `error_code` (a gRPC status) and `error_message`,
 *   and fails on the client exactly as the unary call would have ({@link ExchangeError}); the other
 *   exchanges on the stream are unaffected. A broken stream fails every exchange waiting on it.
 * - The server ends a stream with OK only once everything it read is answered (the client
 *   half-closed, or the server drains for shutdown): the client re-sends whatever a graceful end
 *   left unanswered, because it was never processed.
 * - `traceparent` is the client's span of this exchange; items of the batch may carry their own
 *   `traceparent` naming the request they serve (tracing.ts).
 *
 * The client is {@link ExchangeClient} (client.ts), the server {@link ExchangeServer} (server.ts);
 * `createRpcClient` and `GrpcHost` hand every bidi-streaming method to them, and services and the
 * edge see only batches and answers.
 */
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { RpcError, statusName } from "../errors";

/** The batch an exchange request message `M` carries (what the server's handler receives). */
export type ExchangeBatch<M extends DescMessage> = NonNullable<MessageShape<M> extends { batch?: infer B } ? B : never>;
/** What a client may pass as the batch of request message `M` (a message or an init object). */
export type ExchangeBatchInit<M extends DescMessage> = NonNullable<MessageInitShape<M> extends { batch?: infer B } ? B : never>;

/** The response of one exchange on the wire: the answer, or the status the call failed with. */
export interface ExchangeAnswer<T> {
  id: bigint;
  batch?: T;
  errorCode: number;
  errorMessage: string;
}

/**
 * A failed exchange, shaped like the `ServiceError` a grpc-js unary call rejects with (`code`,
 * `details`, `metadata`), so `isServiceError`, `isUnavailable` and every caller's error handling
 * treat it as they would the unary call's failure.
 */
export class ExchangeError extends Error implements ServiceError {
  readonly details: string;
  readonly metadata = new Metadata();

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`${code} ${status[code] ?? "UNKNOWN"}: ${message}`);
    this.details = message;
  }
}

/**
 * Checks that `method` follows the protocol's message shape and returns the schema of its request
 * batch (the default when a message arrives without one). Thrown at start-up, so a proto that
 * drifts from the protocol never reaches traffic.
 */
export function exchangeShape(method: DescMethod): { batch: DescMessage } {
  const where = `${method.parent.typeName}.${method.name}`;
  const field = (m: DescMessage, name: string, kind: "scalar" | "message") => {
    const f = m.fields.find((x) => x.localName === name);
    if (f === undefined || f.fieldKind !== kind) throw new Error(`${where} is not an exchange method: ${m.typeName} needs a ${kind} field \`${name}\``);
    return f;
  };
  field(method.input, "id", "scalar");
  field(method.input, "traceparent", "scalar");
  const batch = field(method.input, "batch", "message");
  field(method.output, "id", "scalar");
  field(method.output, "batch", "message");
  field(method.output, "errorCode", "scalar");
  field(method.output, "errorMessage", "scalar");
  return { batch: (batch as { message: DescMessage }).message };
}

/**
 * Runs one exchange's handler; an {@link RpcError} becomes the answer's error code (the other
 * exchanges of the stream are unaffected). Any other error propagates: the server logs it and fails
 * the stream with INTERNAL, as it would fail a unary call.
 */
export async function answerExchange<T>(id: bigint, run: () => Promise<T>): Promise<ExchangeAnswer<T>> {
  try {
    return { id, batch: await run(), errorCode: 0, errorMessage: "" };
  } catch (err) {
    if (err instanceof RpcError) return { id, errorCode: err.code, errorMessage: err.message };
    throw err;
  }
}

/**
 * The status an exchange answer stands for: its `errorCode` or OK, so that
 * `datahub_grpc_*_handled_total{code}` and the alerts on it count exchanges like unary calls.
 */
export function exchangeCode(res: unknown): string {
  const code = (res as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === "number" && code !== 0 ? statusName(code) : "OK";
}

/** The answer inside an exchange response, or the {@link ExchangeError} the call failed with. */
export function unwrapExchange<T>(res: { batch?: T; errorCode: number; errorMessage: string }): T {
  if (res.errorCode !== 0) throw new ExchangeError(res.errorCode, res.errorMessage);
  if (res.batch === undefined) throw new ExchangeError(status.INTERNAL, "exchange answered without a batch");
  return res.batch;
}
