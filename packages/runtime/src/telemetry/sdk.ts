/**
 * Starts the OpenTelemetry Node SDK for this process (or worker thread), configured by the
 * standard OTEL_* variables only. It must run BEFORE `pg` and `ioredis` are loaded: their
 * instrumentations patch the modules as they load, so the CLI's entry points call this first and
 * import the rest of DataHub afterwards (packages/cli/bin/*.js).
 *
 * When tracing is off (see {@link tracingSettings}) nothing is imported: no SDK, no exporter, no
 * context manager, and the API's no-op tracer makes every span helper free.
 */
import { createRequire } from "node:module";
import { tracingSettings, type TracingSettings } from "./config";
import { markTracingEnabled } from "./tracing";

/** A started (or skipped) SDK. */
export interface Telemetry {
  settings: TracingSettings;
  /** Flushes queued spans and stops the exporter; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

/** Options for {@link startTelemetry}. */
export interface StartTelemetryOptions {
  /** The services this process or thread runs; names it when OTEL_SERVICE_NAME is unset. */
  targets: string[];
  env?: NodeJS.ProcessEnv;
}

let started: Telemetry | undefined;

/**
 * Starts tracing once per thread (later calls return the first result).
 * Metrics stay on Prometheus (`/metrics`) and logs on stdout: the SDK's OTLP metrics and logs are
 * only set up when OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER ask for them explicitly.
 */
export async function startTelemetry(opts: StartTelemetryOptions): Promise<Telemetry> {
  if (started) return started;
  const env = opts.env ?? process.env;
  const settings = tracingSettings(env);
  if (!settings.enabled) return (started = { settings, shutdown: async () => {} });

  const [{ NodeSDK }, { PgInstrumentation }, { IORedisInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/instrumentation-pg"),
    import("@opentelemetry/instrumentation-ioredis"),
  ]);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : `datahub-${opts.targets.join("+")}`,
    instrumentations: [
      // Spans only for queries made while a request or RPC is traced: no pool-connect noise.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
    ...(env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  // The instrumentations hook CommonJS `require`; DataHub imports `ioredis` and `pg` from ESM,
  // which Node resolves without that hook. Requiring them once here, right after the hooks are
  // installed, patches the modules in the CommonJS cache that the later ESM imports reuse.
  // (Checked by packages/runtime/test/telemetry.int.test.ts: the Redis and Postgres spans appear.)
  const require = createRequire(import.meta.url);
  require("pg");
  require("ioredis");
  markTracingEnabled();
  let stopping: Promise<void> | undefined;
  return (started = { settings, shutdown: () => (stopping ??= sdk.shutdown().catch(() => undefined)) });
}

/** The telemetry started in this thread, if {@link startTelemetry} ran. */
export function currentTelemetry(): Telemetry | undefined {
  return started;
}
