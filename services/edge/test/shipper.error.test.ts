/**
 * Audit shipper when audit is down or the buffer overflows: records are kept and retried with
 * backoff, the OLDEST are dropped when full, and every loss is counted.
 */
import { Registry } from "@datahub/runtime";
import { captureLogger, eventually } from "@datahub/runtime/testing";
import { AuditShipper, type LogRecordInit } from "../src/audit/shipper";
import { unavailableError } from "../../../packages/runtime/test/support/fakes";

const rec = (i: number): LogRecordInit => ({ requestId: `r${i}`, timestampMs: BigInt(i), method: "GET", path: "/x", status: 200 });

async function counter(registry: Registry, outcome: string): Promise<number> {
  const m = (await registry.getSingleMetric("datahub_audit_records_total")!.get()).values.find((v) => v.labels.outcome === outcome);
  return m?.value ?? 0;
}

function setup(opts: { batchSize?: number; bufferSize?: number; flushMs?: number; maxBackoffMs?: number }) {
  const shipped: LogRecordInit[] = [];
  let attempts = 0;
  const state = { down: true };
  const registry = new Registry();
  const cap = captureLogger();
  const shipper = new AuditShipper({
    append: async (records) => {
      attempts++;
      if (state.down) throw unavailableError();
      shipped.push(...records);
    },
    batchSize: opts.batchSize ?? 10,
    bufferSize: opts.bufferSize ?? 1000,
    flushMs: opts.flushMs ?? 5,
    maxBackoffMs: opts.maxBackoffMs ?? 20,
    logger: cap.logger,
    registry,
  });
  return { shipped, state, registry, shipper, attempts: () => attempts, logs: cap.text };
}

test("while audit is down records are kept and retried; they all arrive once it is back", async () => {
  const { shipped, state, registry, shipper, attempts, logs } = setup({ batchSize: 5 });
  shipper.start();
  for (let i = 0; i < 12; i++) shipper.push(rec(i));
  await eventually(() => attempts() >= 3);
  expect(shipped).toHaveLength(0);
  expect(shipper.pending).toBe(12);
  expect(await counter(registry, "failed")).toBeGreaterThanOrEqual(5);
  state.down = false;
  await eventually(() => shipped.length === 12);
  expect(shipped.map((r) => r.requestId)).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`));
  expect(await counter(registry, "dropped")).toBe(0);
  expect(logs()).toContain("retrying with backoff");
  await shipper.stop(1000);
});

test("retries back off: far fewer attempts than flush ticks while down", async () => {
  const { shipper, attempts } = setup({ flushMs: 2, maxBackoffMs: 100 });
  shipper.start();
  shipper.push(rec(1));
  await new Promise((r) => setTimeout(r, 300)); // 150 flush ticks
  expect(attempts()).toBeGreaterThanOrEqual(2);
  expect(attempts()).toBeLessThan(15);
  await shipper.stop(0);
});

test("a full buffer drops the OLDEST records and counts each one", async () => {
  const { shipped, state, registry, shipper, logs } = setup({ bufferSize: 5, batchSize: 100, flushMs: 60_000 });
  for (let i = 0; i < 8; i++) shipper.push(rec(i));
  expect(await counter(registry, "dropped")).toBe(3);
  state.down = false;
  await shipper.stop(1000);
  expect(shipped.map((r) => r.requestId)).toEqual(["r3", "r4", "r5", "r6", "r7"]);
  expect(logs()).toContain("dropping the oldest records");
});

test("records audit rejects as invalid are counted as dropped, not shipped", async () => {
  const registry = new Registry();
  const shipper = new AuditShipper({ append: async (r) => ({ rejected: 1, accepted: r.length - 1 }), batchSize: 10, bufferSize: 10, flushMs: 5, logger: captureLogger().logger, registry });
  shipper.push(rec(1));
  shipper.push(rec(2));
  await shipper.stop(1000);
  expect(await counter(registry, "shipped")).toBe(1);
  expect(await counter(registry, "dropped")).toBe(1);
});

test("stop() with audit still down gives up after its budget and counts what is left as dropped", async () => {
  const { registry, shipper, logs } = setup({ batchSize: 10 });
  for (let i = 0; i < 4; i++) shipper.push(rec(i));
  const t0 = Date.now();
  await shipper.stop(100);
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(await counter(registry, "dropped")).toBe(4);
  expect(logs()).toContain("request-log records dropped");
});
