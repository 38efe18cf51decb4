/**
 * Rate-limit batcher, happy paths: checks of concurrent requests travel in one CheckBatch RPC and
 * each caller gets its own group's decisions, in order.
 */
import { create } from "@bufbuild/protobuf";
import { ratelimit } from "@datahub/proto";
import { CheckBatcher, type CheckBatchFn } from "../src/ratelimit/batcher";
import type { DescriptorInit } from "../src/ratelimit/policies";

/** A CheckBatch backend that allows everything and echoes each descriptor's key length as `remaining`. */
function echoBackend() {
  const calls: Array<{ requests: Array<{ descriptors: DescriptorInit[] }> }> = [];
  const send: CheckBatchFn = async (req) => {
    calls.push(req as never);
    return create(ratelimit.CheckBatchResponseSchema, {
      responses: (req.requests ?? []).map((g) => ({
        decisions: (g.descriptors ?? []).map((d) => ({ allowed: true, limit: BigInt(d.limit ?? 0), remaining: BigInt(String(d.key).length), resetAfterMs: 1000n })),
      })),
    });
  };
  return { calls, send };
}

const d = (key: string): DescriptorInit => ({ key, limit: 10n, windowMs: 60_000n, cost: 1n });

test("groups queued in one event-loop turn go out as ONE CheckBatch RPC", async () => {
  const { calls, send } = echoBackend();
  const batcher = new CheckBatcher({ send });
  const results = await Promise.all(Array.from({ length: 64 }, (_, i) => batcher.check([d("k".repeat(i + 1))])));
  expect(calls).toHaveLength(1);
  expect(calls[0]!.requests).toHaveLength(64);
  // Each caller got its own group's decisions, in order.
  results.forEach((r, i) => expect(Number(r![0]!.remaining)).toBe(i + 1));
});

test("a group with several descriptors keeps their order", async () => {
  const { send } = echoBackend();
  const batcher = new CheckBatcher({ send });
  const r = await batcher.check([d("a"), d("bbb"), d("cc")]);
  expect(r!.map((x) => Number(x.remaining))).toEqual([1, 3, 2]);
});

test("more than maxGroups in one turn are split into several RPCs", async () => {
  const { calls, send } = echoBackend();
  const batcher = new CheckBatcher({ send, maxGroups: 256 });
  const results = await Promise.all(Array.from({ length: 600 }, (_, i) => batcher.check([d("x".repeat((i % 7) + 1))])));
  expect(calls.map((c) => c.requests.length)).toEqual([256, 256, 88]);
  results.forEach((r, i) => expect(Number(r![0]!.remaining)).toBe((i % 7) + 1));
});

test("checks in different turns form different batches", async () => {
  const { calls, send } = echoBackend();
  const batcher = new CheckBatcher({ send });
  await batcher.check([d("a")]);
  await batcher.check([d("b")]);
  expect(calls).toHaveLength(2);
});

test("while maxInFlight batches are out, later groups wait and leave together in one RPC", async () => {
  const { calls, send } = echoBackend();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const batcher = new CheckBatcher({ send: async (req) => (calls.length === 0 ? (await gate, send(req)) : send(req)), maxInFlight: 1 });
  const first = batcher.check([d("a")]);
  await new Promise((r) => setImmediate(r)); // the first batch is now in flight
  const later: Array<Promise<unknown>> = [];
  for (let turn = 0; turn < 3; turn++) {
    later.push(batcher.check([d("bb")]), batcher.check([d("ccc")]));
    await new Promise((r) => setImmediate(r));
  }
  expect(calls).toHaveLength(0); // the gated first call has not reached the backend's recorder yet
  release();
  await Promise.all([first, ...later]);
  expect(calls.map((c) => c.requests.length)).toEqual([1, 6]);
});
