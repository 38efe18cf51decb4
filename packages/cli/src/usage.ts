/** A wrong command line; printed as one line without a stack trace, exit code 64. */
export class UsageError extends Error {
  override name = "UsageError";
}
