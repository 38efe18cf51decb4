import { status, type ServiceError } from "@grpc/grpc-js";

export { status as GrpcStatus };

/** The gRPC status name of a code (`OK`, `UNAVAILABLE`, ...), as the metrics' `code` label. */
export const statusName = (code: number): string => status[code] ?? String(code);

/**
 * An error a handler throws on purpose: it crosses the wire with this status code and message.
 * Anything else thrown by a handler becomes INTERNAL with a generic message (and is logged).
 */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

/** True for a grpc-js client error carrying a status code. */
export function isServiceError(e: unknown): e is ServiceError {
  return typeof e === "object" && e !== null && "code" in e && typeof (e as ServiceError).code === "number" && "metadata" in e;
}

/** Codes that mean "the service could not be reached or did not answer": retry elsewhere, fail over. */
export function isUnavailable(e: unknown): boolean {
  return (
    isServiceError(e) &&
    (e.code === status.UNAVAILABLE || e.code === status.DEADLINE_EXCEEDED || e.code === status.CANCELLED || e.code === status.RESOURCE_EXHAUSTED)
  );
}
