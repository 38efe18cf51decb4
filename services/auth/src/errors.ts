/**
 * Domain errors. The gRPC layer maps each class to one status code (server.ts), so handlers and
 * the CLI see the same meaning: bad input, missing object, wrong state, store down.
 */

/** Bad input; `field` names the offending request field. Maps to INVALID_ARGUMENT. */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** The object does not exist, or belongs to another org. Maps to NOT_FOUND. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** The object exists but is in a state that forbids the call (e.g. revoked). Maps to FAILED_PRECONDITION. */
export class PreconditionError extends Error {
  override name = "PreconditionError";
}

/** The store (Postgres) could not be reached or did not answer in time. Maps to UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  constructor(readonly causeMessage: string) {
    super("auth store unavailable");
  }
}
