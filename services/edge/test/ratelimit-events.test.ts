/**
 * RateLimitEvents (the edge's `ratelimit.exceeded`): once per key per window, the shared
 * idempotency key, the event's data, and failure handling off the request path.
 */
import { create, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { ratelimit } from "@datahub/proto";
import { captureLogger } from "@datahub/runtime/testing";
import type { Principal } from "../src/context";
import { RateLimitEvents, type PublishFn } from "../src/events/ratelimit-exceeded";
import { keyPolicies } from "../src/ratelimit/policies";
import { manualClock, unavailableError } from "../../../packages/runtime/test/support/fakes";

const A: Principal = { keyId: "key-a", orgId: "org-1", scopes: [], root: false };
const B: Principal = { keyId: "key-b", orgId: "org-2", scopes: [], root: false };
const group = keyPolicies("key-a", { limit: 10, windowSeconds: 60 }, "", undefined, { limit: 1000, windowSeconds: 60 });
const denied = [create(ratelimit.DecisionSchema, { allowed: false, limit: 10n, remaining: 0n, retryAfterMs: 5000n })];

type Sent = { orgId: string; type: string; idempotencyKey: string; data: unknown };

function setup(publish?: PublishFn) {
  const clock = manualClock(1_700_000_010_000);
  const sent: Sent[] = [];
  const outcomes: string[] = [];
  const logs = captureLogger();
  const events = new RateLimitEvents({
    publish:
      publish ??
      (async (req) => {
        sent.push({ orgId: req.orgId!, type: req.type!, idempotencyKey: req.idempotencyKey!, data: toJson(ValueSchema, create(ValueSchema, req.data!)) });
      }),
    logger: logs.logger,
    now: clock.now,
    breakerMs: 5000,
    maxInFlight: 2,
    onOutcome: (o) => outcomes.push(o),
  });
  return { events, sent, outcomes, clock, logs };
}

const settle = () => new Promise((r) => setImmediate(r));

test("one event per key per window, with the shared idempotency key and the contract's data", async () => {
  const { events, sent, clock } = setup();
  for (let i = 0; i < 5; i++) events.note(A, group, denied);
  events.note(B, group, denied);
  await settle();
  const windowStart = Math.floor(clock.now() / 60_000) * 60_000;
  expect(sent).toEqual([
    { orgId: "org-1", type: "ratelimit.exceeded", idempotencyKey: `ratelimit.exceeded:key-a:${windowStart}`, data: { keyId: "key-a", limit: 10, windowSeconds: 60, policy: "key" } },
    { orgId: "org-2", type: "ratelimit.exceeded", idempotencyKey: `ratelimit.exceeded:key-b:${windowStart}`, data: { keyId: "key-b", limit: 10, windowSeconds: 60, policy: "key" } },
  ]);
  clock.advance(60_000); // the next window
  events.note(A, group, denied);
  await settle();
  expect(sent).toHaveLength(3);
  expect(sent[2]!.idempotencyKey).toBe(`ratelimit.exceeded:key-a:${windowStart + 60_000}`);
});

test("the denied policy is reported (the route's, when only it is exhausted)", async () => {
  const { events, sent } = setup();
  const g = keyPolicies("key-a", { limit: 100, windowSeconds: 3600 }, "orders", { limit: 5, windowSeconds: 10 }, { limit: 1000, windowSeconds: 60 });
  events.note(A, g, [
    create(ratelimit.DecisionSchema, { allowed: true, limit: 100n, remaining: 50n }),
    create(ratelimit.DecisionSchema, { allowed: false, limit: 5n, remaining: 0n, retryAfterMs: 3000n }),
  ]);
  await settle();
  expect(sent[0]!.data).toEqual({ keyId: "key-a", limit: 5, windowSeconds: 10, policy: "route" });
});

test("note() returns at once while the publish hangs; in-flight publishes are capped", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { events, outcomes } = setup(() => gate);
  const started = process.hrtime.bigint();
  for (const id of ["k1", "k2", "k3"]) events.note({ ...A, keyId: id }, group, denied);
  expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(50);
  expect(events.pending).toBe(2);
  expect(outcomes).toEqual(["dropped"]);
  release();
  await settle();
  await settle();
  expect(events.pending).toBe(0);
  expect(outcomes.sort()).toEqual(["dropped", "published", "published"]);
});

test("a failed publish opens the breaker, is logged, and may be retried later in the window", async () => {
  let fail = true;
  const calls: string[] = [];
  const { events, clock, logs, outcomes } = setup(async (req) => {
    calls.push(req.idempotencyKey!);
    if (fail) throw unavailableError();
  });
  events.note(A, group, denied);
  await settle();
  await settle();
  events.note(A, group, denied); // breaker open: not even tried
  await settle();
  expect(calls).toHaveLength(1);
  expect(outcomes).toEqual(["failed"]);
  expect(logs.text()).toContain("ratelimit.exceeded: the webhooks service did not take the event");
  fail = false;
  clock.advance(5001);
  events.note(A, group, denied);
  await settle();
  expect(calls).toHaveLength(2);
  expect(calls[1]).toBe(calls[0]); // same window, same idempotency key: the service dedupes
});

test("a publish function that throws synchronously never reaches the request", async () => {
  const { events, outcomes } = setup(() => {
    throw new Error("sync boom");
  });
  expect(() => events.note(A, group, denied)).not.toThrow();
  await settle();
  expect(events.pending).toBe(0);
  expect(outcomes).toEqual(["failed"]);
});

test("the memo stays bounded", async () => {
  const clock = manualClock();
  const events = new RateLimitEvents({ publish: async () => {}, logger: captureLogger().logger, now: clock.now, memoSize: 3 });
  for (let i = 0; i < 10; i++) events.note({ ...A, keyId: `k${i}` }, group, denied);
  await settle();
  expect((events as unknown as { memo: Map<string, number> }).memo.size).toBeLessThanOrEqual(3);
});
