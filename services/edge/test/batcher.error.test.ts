/**
 * Rate-limit batcher when the ratelimit service fails: every request of the batch is let through
 * (fail open), counted, and the breaker skips the RPC for a while instead of waiting on timeouts.
 */
import { create } from "@bufbuild/protobuf";
import { ratelimit } from "@datahub/proto";
import { CheckBatcher } from "../src/ratelimit/batcher";
import { manualClock, unavailableError } from "../../../packages/runtime/test/support/fakes";

const d = { key: "{k:1}:default", limit: 10n, windowMs: 60_000n };

test("an RPC failure fails open: every caller gets null and each is counted", async () => {
  let failedOpen = 0;
  const errors: unknown[] = [];
  const batcher = new CheckBatcher({ send: async () => Promise.reject(unavailableError()), onFailOpen: (n) => (failedOpen += n), onError: (e) => errors.push(e) });
  const results = await Promise.all([batcher.check([d]), batcher.check([d]), batcher.check([d])]);
  expect(results).toEqual([null, null, null]);
  expect(failedOpen).toBe(3);
  expect(errors).toHaveLength(1);
});

test("after a failure the breaker fails open without calling the service, then probes again", async () => {
  const clock = manualClock();
  let calls = 0;
  let down = true;
  let failedOpen = 0;
  const batcher = new CheckBatcher({
    now: clock.now,
    breakerMs: 500,
    onFailOpen: (n) => (failedOpen += n),
    send: async (req) => {
      calls++;
      if (down) throw unavailableError();
      return create(ratelimit.CheckBatchResponseSchema, { responses: (req.requests ?? []).map(() => ({ decisions: [{ allowed: true, limit: 10n, remaining: 9n }] })) });
    },
  });
  expect(await batcher.check([d])).toBeNull();
  expect(await batcher.check([d])).toBeNull();
  expect(calls).toBe(1);
  expect(failedOpen).toBe(2);
  down = false;
  clock.advance(500);
  const r = await batcher.check([d]);
  expect(r![0]!.allowed).toBe(true);
  expect(calls).toBe(2);
});

test("a response with the wrong number of groups or decisions fails open instead of misattributing", async () => {
  let failedOpen = 0;
  const short = new CheckBatcher({ send: async () => create(ratelimit.CheckBatchResponseSchema, { responses: [] }), onFailOpen: (n) => (failedOpen += n) });
  expect(await Promise.all([short.check([d]), short.check([d])])).toEqual([null, null]);
  const wrongCount = new CheckBatcher({
    send: async () => create(ratelimit.CheckBatchResponseSchema, { responses: [{ decisions: [] }] }),
    onFailOpen: (n) => (failedOpen += n),
  });
  expect(await wrongCount.check([d])).toBeNull();
  expect(failedOpen).toBe(3);
});
