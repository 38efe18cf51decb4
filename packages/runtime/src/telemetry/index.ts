/**
 * `@datahub/runtime/telemetry`: the OpenTelemetry start-up, importable without loading `pg` or
 * `ioredis` (which must be instrumented before they load). See docs/architecture.md, "Tracing".
 */
export * from "./config";
export * from "./sdk";
export * from "./tracing";
