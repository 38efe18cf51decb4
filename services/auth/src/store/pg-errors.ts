import { NotFoundError, StoreUnavailableError } from "../errors";

// Node socket errors that mean "Postgres is not there".
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// SQLSTATEs meaning the server is going away, starting, overloaded or too slow to answer.
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "57014", "55P03"]);
// Messages pg and pg-pool use for connection trouble (they carry no code).
const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /connection timeout/i,
  /cannot use a pool after calling end/i,
  /not queryable/i,
  /client was closed/i,
];

/** True when `err` means Postgres was unreachable, restarting or too slow, rather than a bad query. */
export function isPgUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith("08")) return true;
  // Node's AggregateError when every resolved address refused (e.g. localhost → ::1 and 127.0.0.1).
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isPgUnavailable)) return true;
  const message = typeof e.message === "string" ? e.message : "";
  return UNAVAILABLE_MESSAGES.some((re) => re.test(message));
}

/** Maps a pg error to a domain error where one applies; otherwise returns it unchanged. */
export function mapPgError(err: unknown): unknown {
  if (isPgUnavailable(err)) return new StoreUnavailableError(String((err as Error).message ?? err));
  const code = (err as { code?: string }).code;
  if (code === "23503") return new NotFoundError("org not found");
  return err;
}
