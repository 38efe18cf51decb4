/**
 * Trace context in exchange messages (protocol.ts; client.ts, server.ts), so a batch carried on
 * a long-lived stream is traced exactly like a unary call, with tracing on or off on the same
 * code path. The protocol's convention:
 *
 * - an exchange request is `{ id, batch, traceparent }`: `traceparent` is the client's span for
 *   this exchange, and the server's span is its child (what a unary call's metadata does);
 * - every item of the batch that carries a `traceparent` (a rate-limit group, a request-log
 *   record) names the request it serves: both spans link to each, so every request's trace
 *   reaches the batched work done for it.
 *
 * Nothing here runs while tracing is off: the fields stay empty and cost nothing on the wire.
 */
import { context, endWithError, extractContext, SpanKind, trace, traceparentOf, tracer, ROOT_CONTEXT, type Link, type Span } from "../../telemetry/tracing";

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The links of a batch: one per item whose `traceparent` is valid (arrays of the batch's fields). */
export function itemLinks(batch: unknown): Link[] {
  const links: Link[] = [];
  if (batch === null || typeof batch !== "object") return links;
  for (const value of Object.values(batch)) {
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      const tp = (item as { traceparent?: unknown } | null)?.traceparent;
      if (typeof tp !== "string" || tp === "") continue;
      const m = TRACEPARENT_RE.exec(tp);
      if (m !== null) links.push({ context: { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true } });
    }
  }
  return links;
}

/**
 * Client side: starts the exchange's CLIENT span (a trace of its own, linked to the batch's
 * requests) and returns it with the `traceparent` the message carries.
 */
export function startClientExchangeSpan(name: string, batch: unknown): { span: Span; traceparent: string } {
  const links = itemLinks(batch);
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT, links, attributes: { "rpc.system": "grpc", "datahub.batch.size": links.length } }, ROOT_CONTEXT);
  return { span, traceparent: traceparentOf(span.spanContext()) };
}

/** Ends a client exchange span with the exchange's outcome. */
export function endClientExchangeSpan(span: Span, err: (Error & { code?: number }) | undefined): void {
  if (err === undefined) {
    span.setAttribute("rpc.grpc.status_code", 0);
    span.end();
  } else endWithError(span, err, { "rpc.grpc.status_code": err.code ?? 2 });
}

/**
 * Server side: runs `handle` inside the exchange's SERVER span — child of the message's
 * `traceparent`, linked to its items — so the handler's Redis and Postgres spans nest beneath it.
 */
export function inServerExchangeSpan<T>(name: string, message: unknown, handle: () => Promise<T>): Promise<T> {
  const m = (message ?? {}) as { traceparent?: unknown; batch?: unknown };
  const parent = typeof m.traceparent === "string" && m.traceparent !== "" ? extractContext({ traceparent: m.traceparent }) : ROOT_CONTEXT;
  const links = itemLinks(m.batch);
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, links, attributes: { "rpc.system": "grpc", "datahub.batch.size": links.length } }, parent);
  return context.with(trace.setSpan(parent, span), handle).then(
    (res) => {
      const code = (res as { errorCode?: unknown } | null)?.errorCode;
      span.setAttribute("rpc.grpc.status_code", typeof code === "number" ? code : 0);
      span.end();
      return res;
    },
    (err: unknown) => {
      endWithError(span, err, { "rpc.grpc.status_code": 13 });
      throw err;
    },
  );
}
