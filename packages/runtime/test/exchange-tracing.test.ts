/**
 * Trace context in exchange messages (tracing on, in-memory exporter): the client's exchange span
 * travels in the message and links to every request the batch serves; the server's span is its
 * child, links to the same requests, and is the active span while the handler runs.
 */
import { EventEmitter } from "node:events";
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { node, tracing } from "@opentelemetry/sdk-node";
import { SpanKind } from "@opentelemetry/api";
import { itemLinks, inServerExchangeSpan } from "../src/grpc/exchange/tracing";
import { ExchangeClient } from "../src/grpc/exchange/client";
import { activeSpanContext, markTracingEnabled, traceparentOf, tracer } from "../src/telemetry/tracing";

const exporter = new tracing.InMemorySpanExporter();
const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
beforeAll(() => {
  provider.register();
  markTracingEnabled();
});
afterAll(() => provider.shutdown());
beforeEach(() => exporter.reset());

class FakeStream extends EventEmitter {
  readonly written: Array<Record<string, unknown>> = [];
  write(m: Record<string, unknown>): boolean {
    this.written.push(m);
    return true;
  }
  end(): void {}
}

const request = () => tracer().startSpan("request");

test("itemLinks takes every valid traceparent of the batch's items, and nothing else", () => {
  const a = request().spanContext();
  const links = itemLinks({ requests: [{ traceparent: traceparentOf(a) }, { traceparent: "" }, {}, { traceparent: "00-zz-yy-01" }], other: "x" });
  expect(links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([[a.traceId, a.spanId]]);
  expect(itemLinks(undefined)).toEqual([]);
});

test("the client's exchange span rides in the message, links to the batch's requests and ends with the answer", async () => {
  const stream = new FakeStream();
  const exchange = new ExchangeClient({ open: () => stream as unknown as ClientDuplexStream<unknown, unknown>, timeoutMs: 1000, spanName: "svc.S/BatchStream" });
  const a = request().spanContext();
  const b = request().spanContext();
  const answered = exchange.call({ records: [{ traceparent: traceparentOf(a) }, { traceparent: traceparentOf(b) }] });
  const sent = stream.written[0]!;
  stream.emit("data", { id: sent.id, batch: {}, errorCode: 0, errorMessage: "" });
  await answered;
  const span = exporter.getFinishedSpans().find((s) => s.name === "svc.S/BatchStream")!;
  expect(span.kind).toBe(SpanKind.CLIENT);
  expect(sent.traceparent).toBe(traceparentOf(span.spanContext()));
  expect(span.links.map((l) => l.context.spanId)).toEqual([a.spanId, b.spanId]);
  expect(span.attributes["rpc.grpc.status_code"]).toBe(0);
  exchange.close();
});

test("the server's span is the child of the message's traceparent, links to its requests, and is active in the handler", async () => {
  const client = request().spanContext();
  const a = request().spanContext();
  let active: string | undefined;
  const res = await inServerExchangeSpan("svc.S/BatchStream", { id: 1n, traceparent: traceparentOf(client), batch: { requests: [{ traceparent: traceparentOf(a) }] } }, async () => {
    active = activeSpanContext()?.spanId;
    return { id: 1n, errorCode: 0 };
  });
  expect(res.errorCode).toBe(0);
  const span = exporter.getFinishedSpans().find((s) => s.name === "svc.S/BatchStream")!;
  expect(span.kind).toBe(SpanKind.SERVER);
  expect(span.parentSpanContext?.spanId).toBe(client.spanId);
  expect(span.spanContext().traceId).toBe(client.traceId);
  expect(span.links.map((l) => l.context.spanId)).toEqual([a.spanId]);
  expect(active).toBe(span.spanContext().spanId);
});
