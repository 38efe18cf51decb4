/**
 * Span helpers on the OpenTelemetry API only (no SDK import): the gRPC client and server, the
 * edge and the batchers use these. Every helper checks {@link tracingEnabled} first, so with
 * tracing off the hot path pays one boolean test and allocates nothing.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";

export { context, SpanKind, SpanStatusCode, trace, ROOT_CONTEXT, type Context, type Link, type Span, type SpanContext };

let enabled = false;

/** Called by the SDK starter once spans are really exported. */
export function markTracingEnabled(): void {
  enabled = true;
}

/** True when this thread started the SDK: spans are created and exported. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** The tracer of DataHub's own spans. */
export function tracer() {
  return trace.getTracer("datahub");
}

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => void (carrier[key] = value),
};
const recordGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** Writes `traceparent` (and `tracestate`) of `ctx` into a plain header/metadata object. */
export function injectContext(ctx: Context, carrier: Record<string, string>): void {
  propagation.inject(ctx, carrier, recordSetter);
}

/** Reads the remote parent from plain headers/metadata (W3C `traceparent`, `tracestate`). */
export function extractContext(carrier: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, recordGetter);
}

/** The span context of the active span, when there is a valid one. */
export function activeSpanContext(): SpanContext | undefined {
  const sc = trace.getSpan(context.active())?.spanContext();
  return sc !== undefined && trace.isSpanContextValid(sc) ? sc : undefined;
}

/** Links from the span contexts of the requests a batch serves (invalid or missing ones skipped). */
export function linksTo(contexts: Iterable<SpanContext | undefined>): Link[] {
  const links: Link[] = [];
  for (const sc of contexts) if (sc !== undefined) links.push({ context: sc });
  return links;
}

/** `00-<trace>-<span>-<flags>` of a span context. */
export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1) === 1 ? "01" : "00"}`;
}

/** Ends `span` with ERROR status and the error's message (never its metadata: it may hold secrets). */
export function endWithError(span: Span, err: unknown, attributes?: Record<string, string | number>): void {
  if (attributes) span.setAttributes(attributes);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message.slice(0, 200) : "error" });
  span.end();
}

/** Mixin for pino: the active span's trace id on every log line written inside a traced request/RPC. */
export function traceLogMixin(): Record<string, string> {
  const sc = activeSpanContext();
  return sc !== undefined ? { traceId: sc.traceId } : {};
}
