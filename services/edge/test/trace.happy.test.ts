/**
 * Batch links at the edge (tracing on, in-memory exporter): a CheckBatch links to every request
 * whose group it carries, an AppendLogs batch to every request whose record it ships, and a
 * singleflighted VerifyKey is the child of the request that missed and links to those that joined.
 */
import { create } from "@bufbuild/protobuf";
import { ratelimit } from "@datahub/proto";
import { context, markTracingEnabled, trace, tracer, type Span } from "@datahub/runtime";
import { node, tracing } from "@opentelemetry/sdk-node";
import { KeyCache } from "@datahub/runtime";
import { CheckBatcher } from "../src/ratelimit/batcher";
import { endRequestSpan, groupLinks, recordLinks, traceBatches, verifyInSpan } from "../src/trace";
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

test("a CheckBatch links to the span of every request whose group it carries", async () => {
  const sent: Array<ReturnType<typeof groupLinks>> = [];
  const limits = new CheckBatcher({
    send: async (req) => {
      sent.push(groupLinks(req.requests ?? []));
      return create(ratelimit.CheckBatchResponseSchema, {
        responses: (req.requests ?? []).map((g) => ({ decisions: (g.descriptors ?? []).map(() => ({ allowed: true })) })),
      });
    },
  });
  const keys = new KeyCache({ verify: new FakeAuth().verify, ttlMs: 1000, negativeTtlMs: 1000, staleTtlMs: 1000, size: 10 });
  traceBatches(keys, limits);
  const d = () => [{ key: "k", limit: 10n, windowMs: 1000n, cost: 1n }];
  const a = inRequest("a", () => limits.check(d()));
  const b = inRequest("b", () => limits.check(d()));
  await Promise.all([a.result, b.result]);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.map((l) => l.context.spanId)).toEqual([a.span.spanContext().spanId, b.span.spanContext().spanId]);
});

test("an AppendLogs batch links to the span of each record's request; records without one are skipped", () => {
  exporter.reset();
  const ended = (route: string) => {
    const span = tracer().startSpan("GET");
    const res = { span, req: { method: "GET" }, ctx: { route, principal: { keyId: "key-1", orgId: "org-1" }, error: undefined } } as unknown as EdgeResponse;
    const record = {};
    endRequestSpan(res, record, 200);
    return { span, record };
  };
  const a = ended("echo");
  const b = ended("");
  expect(recordLinks([a.record, {}, b.record]).map((l) => l.context.spanId)).toEqual([a.span.spanContext().spanId, b.span.spanContext().spanId]);
  const finished = exporter.getFinishedSpans();
  expect(finished.map((s) => s.name)).toEqual(["GET echo", "GET"]);
  expect(finished[0]!.attributes).toMatchObject({ "http.route": "echo", "http.response.status_code": 200, "datahub.key_id": "key-1" });
});

test("a singleflighted VerifyKey is the child of the request that missed and links to the ones that joined", async () => {
  exporter.reset();
  const auth = new FakeAuth();
  let release!: () => void;
  auth.gate = new Promise<void>((r) => (release = r));
  const key = auth.addKey();
  const keys = new KeyCache({ verify: (k) => verifyInSpan(() => auth.verify(k)), ttlMs: 1000, negativeTtlMs: 1000, staleTtlMs: 1000, size: 10 });
  traceBatches(keys, new CheckBatcher({ send: async () => create(ratelimit.CheckBatchResponseSchema, {}) }));
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
