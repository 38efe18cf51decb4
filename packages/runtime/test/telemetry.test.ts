/**
 * When OpenTelemetry starts: only the standard OTEL_* variables decide, and without an OTLP
 * endpoint nothing starts (zero cost by default). The export path itself is covered end to end by
 * test/e2e/tracing.split.int.test.ts.
 */
import { ConfigError } from "../src/config";
import { startTelemetry, tracingEnabled, tracingSettings } from "../src/telemetry/index";
import { extractContext, injectContext, linksTo, traceparentOf, trace, type SpanContext } from "../src/telemetry/tracing";

describe("tracingSettings", () => {
  it("is off without an OTLP endpoint", () => {
    expect(tracingSettings({})).toEqual({ enabled: false, reason: "no OTEL_EXPORTER_OTLP_ENDPOINT", protocol: "http/protobuf" });
  });

  it("is on with a general or a traces-only endpoint", () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" }).enabled).toBe(true);
  });

  it("honours OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none even with an endpoint", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" };
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: "true" })).toMatchObject({ enabled: false, reason: "OTEL_SDK_DISABLED=true" });
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: "false" }).enabled).toBe(true);
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: "none" })).toMatchObject({ enabled: false, reason: "OTEL_TRACES_EXPORTER=none" });
  });

  it("accepts the three OTLP protocols and names the variable of a bad one", () => {
    for (const p of ["http/protobuf", "http/json", "grpc"]) expect(tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: p }).protocol).toBe(p);
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: "thrift" })).toThrow(ConfigError);
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "udp" })).toThrow(/^invalid OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: /);
  });
});

describe("startTelemetry", () => {
  it("starts nothing without an endpoint: tracing stays off and shutdown is a no-op", async () => {
    const t = await startTelemetry({ targets: ["edge"], env: {} });
    expect(t.settings.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    await expect(t.shutdown()).resolves.toBeUndefined();
  });
});

describe("trace context helpers", () => {
  const sc: SpanContext = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 };

  it("formats a traceparent", () => {
    expect(traceparentOf(sc)).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(traceparentOf({ ...sc, traceFlags: 0 })).toMatch(/-00$/);
  });

  it("links only to valid span contexts", () => {
    expect(linksTo([sc, undefined, sc])).toEqual([{ context: sc }, { context: sc }]);
  });

  it("extract and inject are no-ops without a registered propagator (SDK off)", () => {
    const ctx = extractContext({ traceparent: traceparentOf(sc) });
    expect(trace.getSpanContext(ctx)).toBeUndefined();
    const carrier: Record<string, string> = {};
    injectContext(ctx, carrier);
    expect(carrier).toEqual({});
  });
});
