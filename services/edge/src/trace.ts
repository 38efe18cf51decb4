/**
 * W3C trace context (`traceparent`) for the upstream hop: the client's when it is valid, else a
 * new one. Ids come from a pooled random buffer (one `randomFillSync` per 4 KiB), not a
 * crypto call per request.
 */
import { randomFillSync } from "node:crypto";
import { activeSpanContext, context, extractContext, SpanKind, SpanStatusCode, trace, traceparentOf, tracer, type Span } from "@datahub/runtime";
import type { EdgeResponse } from "./exchange";

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return s;
}

/** The trace of one request: its id and the `traceparent` to forward. */
export interface TraceContext {
  traceId: string;
  traceparent: string;
}

/** Parses a client `traceparent` (version 00, non-zero ids); otherwise starts a new sampled trace. */
export function traceFrom(header: string | string[] | undefined): TraceContext {
  if (typeof header === "string") {
    const m = TRACEPARENT_RE.exec(header);
    if (m !== null && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN) return { traceId: m[1]!, traceparent: header };
  }
  const traceId = randomHex(16);
  return { traceId, traceparent: "00-" + traceId + "-" + randomHex(8) + "-01" };
}

// ---------------------------------------------------------------------------------------------
// OpenTelemetry spans (only when the SDK runs: `tracingEnabled()`; see docs/architecture.md,
// "Tracing"). The edge's SERVER span is the root of each request's trace. Batched work that
// serves many requests links to them through what it carries: a rate-limit group and a request
// log record each hold their request's `traceparent` (set by the pipeline and the request log),
// and a singleflighted VerifyKey is linked through the key cache's `onFlight` hook.

/** The singleflight span of an in-flight key verification, by the promise every waiter shares. */
const verifySpans = new WeakMap<Promise<unknown>, Span>();
let startedVerify: Span | undefined;

/**
 * Starts the request's SERVER span, child of the client's `traceparent` when it sent one; the
 * trace id and the `traceparent` forwarded upstream are the span's own.
 */
export function startRequestSpan(res: EdgeResponse, method: string | undefined, path: string): TraceContext {
  const parent = extractContext(res.req.headers);
  const span = tracer().startSpan(
    method ?? "HTTP",
    { kind: SpanKind.SERVER, attributes: { "http.request.method": method ?? "", "url.path": path } },
    parent,
  );
  res.span = span;
  res.spanContext = trace.setSpan(parent, span);
  const sc = span.spanContext();
  return { traceId: sc.traceId, traceparent: traceparentOf(sc) };
}

/** Ends the request's span when its exchange closes. */
export function endRequestSpan(res: EdgeResponse, status: number): void {
  const span = res.span!;
  const route = res.ctx.route;
  if (route !== "") {
    span.updateName(`${res.req.method ?? "HTTP"} ${route}`);
    span.setAttribute("http.route", route);
  }
  span.setAttribute("http.response.status_code", status);
  if (res.ctx.principal !== undefined) span.setAttributes({ "datahub.key_id": res.ctx.principal.keyId, "datahub.org_id": res.ctx.principal.orgId });
  if (res.ctx.error !== undefined) span.setAttribute("datahub.error", res.ctx.error);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/**
 * Runs a VerifyKey inside an INTERNAL singleflight span (child of the request that missed the
 * cache); {@link noteVerifyFlight} links the requests that join the same flight to it.
 */
export function verifyInSpan<T>(verify: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan("edge.verify_key", { kind: SpanKind.INTERNAL });
  startedVerify = span;
  return context.with(trace.setSpan(context.active(), span), verify).finally(() => span.end());
}

/** The key cache's `onFlight` hook: links a request that joined a verification to its span. */
export function noteVerifyFlight(pending: Promise<unknown>, started: boolean): void {
  if (started) {
    // This lookup started the flight (the span is its child already).
    if (startedVerify !== undefined) verifySpans.set(pending, startedVerify);
    startedVerify = undefined;
    return;
  }
  const sc = activeSpanContext();
  const span = verifySpans.get(pending);
  if (span !== undefined && sc !== undefined) span.addLink({ context: sc });
}
