import pino, { type Logger } from "pino";
import { traceLogMixin, tracingEnabled } from "./telemetry/tracing";

export type { Logger };

/**
 * Paths pino censors wherever they appear. Keys, secrets and Authorization values must never
 * reach a log line (docs/reference/metrics.md, "Logs"); code should not log them at all, this is the safety net.
 */
export const REDACT_PATHS = [
  "key",
  "*.key",
  "secret",
  "*.secret",
  "rootKey",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers['x-api-key']",
  "headers['x-api-key']",
  "*.headers.cookie",
  "password",
  "*.password",
];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level (LOG_LEVEL). */
  level: string;
  /** Static fields on every line, e.g. `{ service: "edge" }`. */
  base?: Record<string, unknown>;
  /** Where to write; defaults to stdout. Tests pass a stream to capture lines. */
  destination?: NodeJS.WritableStream;
}

/** Creates the process logger: JSON lines, ISO time, redaction on. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid, ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
      // With tracing on, every line written inside a traced request or RPC carries its trace id.
      mixin: tracingEnabled() ? traceLogMixin : undefined,
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}

/**
 * A warning that is written at most once per `everyMs` (an outage must not flood the log), with
 * only the error's message and code (never its metadata: it may hold secrets).
 */
export function throttledWarn(logger: Logger, everyMs = 10_000): (err: unknown, msg: string) => void {
  let last = -Infinity;
  return (err, msg) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    logger.warn({ err: { message: (err as Error)?.message ?? String(err), code: (err as { code?: unknown })?.code } }, msg);
  };
}
