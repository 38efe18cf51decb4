import { GrpcStatus, RpcError } from "./grpc/errors";

/**
 * One answer, for every service, to "did this Postgres call fail because the database cannot
 * serve right now?" — such failures become gRPC UNAVAILABLE so callers retry or fail over (the edge
 * answers 503 or buffers), instead of INTERNAL.
 */

// Node socket errors that mean "Postgres is not there".
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57P operator intervention
// (shutdown, crash, cannot connect now).
const UNAVAILABLE_CLASSES = ["08", "53", "57P"];
// SQLSTATEs: statement timeout, serialization failure, deadlock, lock not available — the server is
// there but could not answer in time; a retry later may work.
const UNAVAILABLE_SQLSTATES = new Set(["57014", "40001", "40P01", "55P03"]);
// Messages pg and pg-pool use for connection trouble (they carry no code).
const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /connection timeout/i,
  /connection error/i,
  /cannot use a pool after calling end/i,
  /pool.*ended/i,
  /not queryable/i,
  /client was closed/i,
  /timed out/i,
];

/** True when `err` means Postgres was unreachable, restarting, overloaded or too slow, rather than a bad query. */
export function isPgUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_CLASSES.some((c) => code.startsWith(c))) return true;
  // Node's AggregateError when every resolved address refused (e.g. localhost → ::1 and 127.0.0.1).
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isPgUnavailable)) return true;
  const message = typeof e.message === "string" ? e.message : "";
  return UNAVAILABLE_MESSAGES.some((re) => re.test(message));
}

/**
 * What a Postgres-backed RPC handler's failure becomes on the wire: deliberate RpcErrors pass
 * through, database outages and timeouts become UNAVAILABLE ("<database> database unavailable;
 * retry later"), anything else is returned as is and becomes INTERNAL.
 */
export function pgToRpcError(err: unknown, database: string): unknown {
  if (err instanceof RpcError) return err;
  if (isPgUnavailable(err)) return new RpcError(GrpcStatus.UNAVAILABLE, `${database} database unavailable; retry later`);
  return err;
}
