/**
 * EventRelay policy (in-memory outbox, fake Publish): order, idempotency keys, backoff, what an
 * outage postpones, and that a rejected event does not block the others.
 */
import { GrpcStatus } from "@datahub/runtime";
import { captureLogger } from "@datahub/runtime/testing";
import type { Outbox, OutboxRow } from "../src/events/outbox";
import { EventRelay, type PublishFn } from "../src/events/relay";

class MemoryOutbox implements Outbox {
  rows: Array<OutboxRow & { dueAt: number; sent: boolean; lastError?: string }> = [];
  add(n: number): void {
    for (let i = 0; i < n; i++) {
      this.rows.push({ id: `e${this.rows.length}`, orgId: "o", type: "key.created", data: { n: this.rows.length }, createdAt: new Date(this.rows.length), attempts: 0, dueAt: 0, sent: false });
    }
  }
  async claim(limit: number, leaseMs: number) {
    const due = this.rows.filter((r) => !r.sent && r.dueAt <= Date.now()).slice(0, limit);
    for (const r of due) r.dueAt = Date.now() + leaseMs;
    return due.map((r) => ({ ...r }));
  }
  async markSent(id: string) {
    this.rows.find((r) => r.id === id)!.sent = true;
  }
  async reschedule(ids: string[], delayMs: number, error: string, countAttempt: boolean) {
    for (const r of this.rows.filter((x) => ids.includes(x.id))) {
      r.dueAt = Date.now() + delayMs;
      r.lastError = error;
      if (countAttempt) r.attempts++;
    }
  }
  async pruneSent() {
    return 0;
  }
}

const grpcError = (code: number) => Object.assign(new Error(`${code} injected`), { code, details: "injected", metadata: {} });

function relay(outbox: Outbox, publish: PublishFn, batchSize = 100) {
  return new EventRelay({ outbox, publish, logger: captureLogger().logger, intervalMs: 1000, maxBackoffMs: 8000, batchSize, random: () => 0.5 });
}

test("publishes due rows oldest first with the row id as idempotency key, across full batches", async () => {
  const outbox = new MemoryOutbox();
  outbox.add(5);
  const seen: string[] = [];
  await relay(outbox, async (req) => {
    seen.push(req.idempotencyKey!);
    return { eventId: "x", deliveries: 0, duplicate: false } as never;
  }, 2).pass();
  expect(seen).toEqual(["e0", "e1", "e2", "e3", "e4"]);
  expect(outbox.rows.every((r) => r.sent)).toBe(true);
});

test("service unavailable: one failed call, the rest of the batch is postponed without counting an attempt; the relay pauses", async () => {
  const outbox = new MemoryOutbox();
  outbox.add(3);
  let calls = 0;
  const r = relay(outbox, async () => {
    calls++;
    throw grpcError(GrpcStatus.UNAVAILABLE);
  });
  await r.pass();
  expect(calls).toBe(1);
  outbox.add(2); // new events during the outage: due now, but the relay waits out its backoff
  await r.pass();
  expect(calls).toBe(1);
  expect(outbox.rows.map((r) => [r.sent, r.attempts])).toEqual([[false, 1], [false, 0], [false, 0], [false, 0], [false, 0]]);
  expect(outbox.rows.slice(0, 3).every((r) => r.dueAt > Date.now() + 500)).toBe(true);
});

test("a rejected event backs off alone; later events still go out", async () => {
  const outbox = new MemoryOutbox();
  outbox.add(3);
  await relay(outbox, async (req) => {
    if (req.idempotencyKey === "e1") throw grpcError(GrpcStatus.INVALID_ARGUMENT);
    return {} as never;
  }).pass();
  expect(outbox.rows.map((r) => r.sent)).toEqual([true, false, true]);
  expect(outbox.rows[1]!.attempts).toBe(1);
});

test("backoff doubles from the interval up to the cap, with jitter", () => {
  const r = relay(new MemoryOutbox(), async () => ({}) as never);
  expect([1, 2, 3, 4, 5, 10].map((a) => r.backoff(a))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  const jittery = new EventRelay({ outbox: new MemoryOutbox(), publish: async () => ({}) as never, logger: captureLogger().logger, intervalMs: 1000, maxBackoffMs: 8000, random: () => 0 });
  expect(jittery.backoff(1)).toBe(800);
});

test("an unreachable outbox is logged, not thrown", async () => {
  const logs = captureLogger();
  const broken = new MemoryOutbox();
  broken.claim = async () => Promise.reject(new Error("ECONNREFUSED"));
  const r = new EventRelay({ outbox: broken, publish: async () => ({}) as never, logger: logs.logger, intervalMs: 10, maxBackoffMs: 10 });
  await expect(r.pass()).resolves.toBeUndefined();
  expect(logs.text()).toContain("outbox is unreachable");
});
