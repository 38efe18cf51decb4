// The light entry points only: every command imports this, and the full runtime loads pg, Redis and OpenTelemetry.
import { ConfigError } from "@datahub/runtime/config";
import { DataHubError } from "@datahub/client";
import { UsageError } from "./usage";

/** Exit codes of `datahub` (sysexits.h names), documented in docs/reference/cli.md. */
export const EXIT = {
  ok: 0,
  /** Anything else: a 5xx other than 502/503/504, a database error, a bug. */
  failure: 1,
  /** A wrong command line: unknown command or option, missing or malformed argument. */
  usage: 64,
  /** The API refused the request as given: a 4xx answer (400, 401 wrong key, 403, 404, 409, …). */
  badInput: 65,
  /** A file named on the command line cannot be read (`config validate`). */
  noInput: 66,
  /** The edge is unreachable or cannot serve now: no answer, 502/503/504, or 429 after the retries. */
  unavailable: 69,
  /** The environment is wrong: DATAHUB_URL/DATAHUB_API_KEY missing or malformed, a bad DATAHUB_* variable. */
  config: 78,
} as const;

/**
 * Ends a command with `code` after it has printed what it had to say itself (e.g. the problems
 * `config validate` found): main.ts prints nothing more for it.
 */
export class CommandExit extends Error {
  override name = "CommandExit";
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** The exit code for an error that ended a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommandExit) return err.code;
  if (err instanceof UsageError) return EXIT.usage;
  // A bad datahub.yaml at start is configuration too (matched by name: importing the edge here
  // would load it for every command).
  if (err instanceof ConfigError || (err as Error)?.name === "RoutesConfigError") return EXIT.config;
  if (err instanceof DataHubError) {
    // A 429 that outlived the client's retries is "try later", like a 503, not a wrong request.
    if (err.status === 0 || err.status === 429 || err.status === 502 || err.status === 503 || err.status === 504) return EXIT.unavailable;
    if (err.status >= 400 && err.status < 500) return EXIT.badInput;
    return EXIT.failure;
  }
  return EXIT.failure;
}

/** The one line printed for an error (after `datahub: `); never a stack trace. */
export function messageFor(err: unknown): string {
  if (err instanceof DataHubError) {
    if (err.status === 0) return err.detail;
    const where = err.requestId ? ` (request ${err.requestId})` : "";
    return `${err.status} ${err.slug === "about:blank" ? err.title : err.slug}: ${err.detail}${where}`;
  }
  // ListenError (a port `datahub start` cannot bind) is matched by name for the same reason.
  const name = (err as Error)?.name;
  const known = err instanceof ConfigError || err instanceof UsageError || name === "ListenError" || name === "RoutesConfigError";
  const message = (err as Error)?.message ?? String(err);
  return (known ? message : `error: ${message}`).replace(/\s*\n\s*/g, " ");
}
