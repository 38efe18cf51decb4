import { GrpcStatus, RpcError } from "@datahub/runtime";

// SQLSTATE classes/codes meaning "the database cannot serve right now; retrying later may work".
const UNAVAILABLE_CLASSES = ["08", "53", "57P"]; // connection exception, insufficient resources, operator intervention
const UNAVAILABLE_CODES = new Set(["57014", "40001", "40P01", "55P03"]); // statement timeout, serialization, deadlock, lock timeout
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
const NETWORK_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection error|not queryable|pool.*ended|timed out/i;

/** True when `err` says Postgres is unreachable, overloaded or too slow (the caller should retry). */
export function isPgUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_CLASSES.some((c) => code.startsWith(c))) return true;
  }
  const message = (err as { message?: unknown }).message;
  return typeof message === "string" && NETWORK_MESSAGES.test(message);
}

/**
 * Maps a failure of a store call to what crosses the wire: deliberate RpcErrors pass through,
 * database outages and timeouts become UNAVAILABLE (the edge buffers and retries), anything else
 * is rethrown and becomes INTERNAL.
 */
export function toRpcError(err: unknown): unknown {
  if (err instanceof RpcError) return err;
  if (isPgUnavailable(err)) return new RpcError(GrpcStatus.UNAVAILABLE, "audit database unavailable; retry later");
  return err;
}
