/**
 * W3C trace context (`traceparent`) for the upstream hop: the client's when it is valid, else a
 * new one. Ids come from a pooled random buffer (one `randomFillSync` per 4 KiB), not a
 * crypto call per request.
 */
import { randomFillSync } from "node:crypto";
import {
  activeSpanContext,
  context,
  extractContext,
  linksTo,
  SpanKind,
  SpanStatusCode,
  trace,
  traceparentOf,
  tracer,
  type KeyCache,
  type Link,
  type Span,
  type SpanContext,
} from "@datahub/runtime";
import type { EdgeResponse } from "./exchange";
import type { CheckBatcher } from "./ratelimit/batcher";

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
// "Tracing"). The edge's SERVER span is the root of each request's trace; batched RPCs that
// serve many requests (CheckBatch, AppendLogs, a singleflighted VerifyKey) link to the spans of
// the requests they serve, kept in WeakMaps keyed by the objects each batch already carries.

/** Span context of each request, by the rate-limit group (descriptor array) it queued. */
const groupSpans = new WeakMap<object, SpanContext>();
/** Span context of each request, by its request-log record. */
const recordSpans = new WeakMap<object, SpanContext>();
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

/** Ends the request's span when its exchange closes; remembers it for the AppendLogs batch link. */
export function endRequestSpan(res: EdgeResponse, record: object, status: number): void {
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
  recordSpans.set(record, span.spanContext());
}

/** Links of an AppendLogs batch to the requests whose records it ships. */
export function recordLinks(records: readonly object[]): Link[] {
  return linksTo(records.map((r) => recordSpans.get(r)));
}

/** Remembers the active request span for the rate-limit group it queues. */
function noteGroup(descriptors: object): void {
  const sc = activeSpanContext();
  if (sc !== undefined) groupSpans.set(descriptors, sc);
}

/** Links of a CheckBatch to the requests whose groups it carries. */
export function groupLinks(groups: ReadonlyArray<{ descriptors?: object }>): Link[] {
  return linksTo(groups.map((g) => (g.descriptors !== undefined ? groupSpans.get(g.descriptors) : undefined)));
}

/**
 * Runs a VerifyKey inside an INTERNAL singleflight span (child of the request that missed the
 * cache); {@link noteVerifyWaiter} links the requests that join the same flight to it.
 */
export function verifyInSpan<T>(verify: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan("edge.verify_key", { kind: SpanKind.INTERNAL });
  startedVerify = span;
  return context.with(trace.setSpan(context.active(), span), verify).finally(() => span.end());
}

/** After a key-cache lookup that returned a promise: link this request to the flight it joined. */
function noteVerifyWaiter(pending: Promise<unknown>): void {
  if (startedVerify !== undefined) {
    // This lookup started the flight (the span is its child already).
    verifySpans.set(pending, startedVerify);
    startedVerify = undefined;
    return;
  }
  const sc = activeSpanContext();
  const span = verifySpans.get(pending);
  if (span !== undefined && sc !== undefined) span.addLink({ context: sc });
}

/**
 * With tracing on, notes the span of each request as it queues a rate-limit group or joins a key
 * verification, so the batched RPC can link to it. Wraps the two entry points instead of
 * threading span contexts through the batcher and the cache (and their hot paths).
 */
export function traceBatches(keys: KeyCache, limits: CheckBatcher): void {
  const lookup = keys.lookup.bind(keys);
  keys.lookup = (key, hash) => {
    const result = lookup(key, hash);
    if (result instanceof Promise) noteVerifyWaiter(result);
    return result;
  };
  const check = limits.check.bind(limits);
  limits.check = (descriptors) => {
    noteGroup(descriptors);
    return check(descriptors);
  };
}
