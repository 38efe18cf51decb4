/**
 * Audit shipper, happy paths: records leave in batches off the request path, and stop() flushes.
 */
import { Registry } from "@datahub/runtime";
import { captureLogger, eventually } from "@datahub/runtime/testing";
import { AuditShipper, type LogRecordInit } from "../src/audit/shipper";
import { RingBuffer } from "../src/audit/ring-buffer";

const rec = (i: number): LogRecordInit => ({ requestId: `r${i}`, timestampMs: BigInt(i), method: "GET", path: "/x", status: 200 });

async function counter(registry: Registry, outcome: string): Promise<number> {
  const m = (await registry.getSingleMetric("datahub_audit_records_total")!.get()).values.find((v) => v.labels.outcome === outcome);
  return m?.value ?? 0;
}

function setup(opts: { batchSize?: number; bufferSize?: number; flushMs?: number } = {}) {
  const batches: LogRecordInit[][] = [];
  const registry = new Registry();
  const shipper = new AuditShipper({
    append: async (records) => void batches.push(records),
    batchSize: opts.batchSize ?? 10,
    bufferSize: opts.bufferSize ?? 1000,
    flushMs: opts.flushMs ?? 5,
    logger: captureLogger().logger,
    registry,
  });
  return { batches, registry, shipper };
}

test("records are shipped in batches of at most batchSize, in order", async () => {
  const { batches, registry, shipper } = setup({ batchSize: 10 });
  shipper.start();
  for (let i = 0; i < 25; i++) shipper.push(rec(i));
  await eventually(() => batches.flat().length === 25);
  expect(batches.every((b) => b.length <= 10)).toBe(true);
  expect(batches.flat().map((r) => r.requestId)).toEqual(Array.from({ length: 25 }, (_, i) => `r${i}`));
  expect(await counter(registry, "shipped")).toBe(25);
  await shipper.stop(1000);
});

test("a partial batch leaves on the flush timer", async () => {
  const { batches, shipper } = setup({ batchSize: 100, flushMs: 5 });
  shipper.start();
  shipper.push(rec(1));
  await eventually(() => batches.length === 1);
  expect(batches[0]).toHaveLength(1);
  await shipper.stop(1000);
});

test("stop() ships everything still buffered", async () => {
  const { batches, shipper } = setup({ batchSize: 7, flushMs: 60_000 });
  shipper.start();
  for (let i = 0; i < 20; i++) shipper.push(rec(i));
  await shipper.stop(1000);
  expect(batches.flat()).toHaveLength(20);
  expect(shipper.pending).toBe(0);
});

test("the buffer gauge reports waiting records", async () => {
  const { registry, shipper } = setup({ batchSize: 100, flushMs: 60_000 });
  for (let i = 0; i < 3; i++) shipper.push(rec(i));
  const g = await registry.getSingleMetric("datahub_audit_buffer_records")!.get();
  expect(g.values[0]!.value).toBe(3);
});

test("RingBuffer keeps FIFO order across wrap-around and puts failed batches back in front", () => {
  const b = new RingBuffer<number>(4);
  [1, 2, 3].forEach((n) => b.push(n));
  expect(b.shift(2)).toEqual([1, 2]);
  [4, 5, 6].forEach((n) => b.push(n));
  expect(b.unshift([1, 2])).toBe(2); // full: the two oldest do not fit
  expect(b.shift(10)).toEqual([3, 4, 5, 6]);
  b.push(7);
  expect(b.unshift([5, 6])).toBe(0);
  expect(b.shift(10)).toEqual([5, 6, 7]);
});
