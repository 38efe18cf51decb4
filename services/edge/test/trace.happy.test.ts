/**
 * Tracing at the edge (tracing on, in-memory exporter): each rate-limit group travels with its
 * request's traceparent, so the batch links to every request it serves; the request span is named
 * after its route; a singleflighted VerifyKey is the child of the request that missed and, through
 * the key cache's `onFlight` hook, links to those that joined.
 */
import { create } from "@bufbuild/protobuf";
import { ratelimit } from "@datahub/proto";
import { context, itemLinks, markTracingEnabled, trace, traceparentOf, tracer, type Span } from "@datahub/runtime";
import { node, tracing } from "@opentelemetry/sdk-node";
import { KeyCache } from "@datahub/runtime";
import { CheckBatcher } from "../src/ratelimit/batcher";
import { endRequestSpan, noteVerifyFlight, verifyInSpan } from "../src/trace";
import type { EdgeResponse } from "../src/exchange";
import { FakeAuth } from "../../../packages/runtime/test/support/fakes";

const exporter = new tracing.InMemorySpanExporter();
const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  provider.register();
  markTracingEnabled();
});
afterAll(async () => {
  await provider.shutdown();
});

/** Runs `fn` inside a new "request" span; returns the span. */
function inRequest<T>(name: string, fn: () => T): { span: Span; result: T } {
  const span = tracer().startSpan(name);
  const result = context.with(trace.setSpan(context.active(), span), fn);
  return { span, result };
}

test("each rate-limit group carries its request's traceparent, and the batch links to every request", async () => {
  const sent: Array<{ requests?: Array<{ traceparent?: string }> }> = [];
  const limits = new CheckBatcher({
    send: async (req) => {
      sent.push(req);
      return create(ratelimit.CheckBatchResponseSchema, {
        responses: (req.requests ?? []).map((g) => ({ decisions: (g.descriptors ?? []).map(() => ({ allowed: true })) })),
      });
    },
  });
  const d = () => [{ key: "k", limit: 10n, windowMs: 1000n, cost: 1n }];
  const a = tracer().startSpan("a");
  const b = tracer().startSpan("b");
  await Promise.all([limits.check(d(), traceparentOf(a.spanContext())), limits.check(d(), traceparentOf(b.spanContext())), limits.check(d())]);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.requests!.map((g) => g.traceparent)).toEqual([traceparentOf(a.spanContext()), traceparentOf(b.spanContext()), undefined]);
  expect(itemLinks(sent[0]).map((l) => l.context.spanId)).toEqual([a.spanContext().spanId, b.spanContext().spanId]);
});

test("the request span is named after the route and carries status, key and org", () => {
  exporter.reset();
  const span = tracer().startSpan("GET");
  const res = { span, req: { method: "GET" }, ctx: { route: "echo", principal: { keyId: "key-1", orgId: "org-1" }, error: undefined } } as unknown as EdgeResponse;
  endRequestSpan(res, 200);
  const finished = exporter.getFinishedSpans();
  expect(finished.map((s) => s.name)).toEqual(["GET echo"]);
  expect(finished[0]!.attributes).toMatchObject({ "http.route": "echo", "http.response.status_code": 200, "datahub.key_id": "key-1", "datahub.org_id": "org-1" });
});

test("a singleflighted VerifyKey is the child of the request that missed and links to the ones that joined", async () => {
  exporter.reset();
  const auth = new FakeAuth();
  let release!: () => void;
  auth.gate = new Promise<void>((r) => (release = r));
  const key = auth.addKey();
  const keys = new KeyCache({ verify: (k) => verifyInSpan(() => auth.verify(k)), ttlMs: 1000, negativeTtlMs: 1000, staleTtlMs: 1000, size: 10, onFlight: noteVerifyFlight });
  const first = inRequest("first", () => keys.lookup(key));
  const second = inRequest("second", () => keys.lookup(key));
  expect(first.result).toBeInstanceOf(Promise);
  expect(second.result).toBe(first.result);
  release();
  await first.result;
  expect(auth.calls).toHaveLength(1);
  const verify = exporter.getFinishedSpans().find((s) => s.name === "edge.verify_key")!;
  expect(verify.parentSpanContext?.spanId).toBe(first.span.spanContext().spanId);
  expect(verify.links.map((l) => l.context.spanId)).toEqual([second.span.spanContext().spanId]);
});
