/**
 * Whether this process traces, decided from the standard OpenTelemetry variables alone
 * (docs/reference/configuration.md, "Logs and traces"). DataHub adds no variable of its own: tracing is on exactly when an OTLP endpoint
 * is configured and the SDK is not disabled, so a default install pays nothing for it.
 */

/** The decision and the facts it was made from (logged once at start-up). */
export interface TracingSettings {
  enabled: boolean;
  /** Why tracing is off, for the start-up log line. */
  reason?: string;
  /** `http/protobuf` (default), `http/json` or `grpc`. */
  protocol: string;
}

import { ConfigError } from "../config";

const PROTOCOLS = new Set(["http/protobuf", "http/json", "grpc"]);

/**
 * Reads the OTEL_* variables that decide whether the SDK starts:
 * off when `OTEL_SDK_DISABLED=true`, when `OTEL_TRACES_EXPORTER` is `none`, or when neither
 * `OTEL_EXPORTER_OTLP_ENDPOINT` nor `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (the SDK itself
 * would default to localhost:4318 and export into the void).
 * @throws ConfigError naming the variable when the protocol is not one the SDK supports.
 */
export function tracingSettings(env: NodeJS.ProcessEnv = process.env): TracingSettings {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf").trim();
  if (!PROTOCOLS.has(protocol)) {
    const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
    throw new ConfigError(`invalid ${name}: expected http/protobuf, http/json or grpc, got "${protocol}"`);
  }
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return { enabled: false, reason: "OTEL_SDK_DISABLED=true", protocol };
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (exporters.length > 0 && exporters.every((e) => e === "none")) return { enabled: false, reason: "OTEL_TRACES_EXPORTER=none", protocol };
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    return { enabled: false, reason: "no OTEL_EXPORTER_OTLP_ENDPOINT", protocol };
  }
  return { enabled: true, protocol };
}
