/**
 * What encoding the two hot batch messages costs: protobuf-es v2 (`toBinary`, reflection-driven:
 * what the edge uses) against protobufjs with generated-at-runtime static code (`Type.encode`,
 * what a generated encoder would be like), for an AppendLogs batch of 250 records and a CheckBatch
 * of 30 one-descriptor groups — the sizes the edge sends at bench load. Best of 5 × 2,000 batches.
 *   node --import tsx bench/proto-encode.ts
 */
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { audit, ratelimit } from "@datahub/proto";
import protobuf from "protobufjs";

const PROTO_ROOT = fileURLToPath(new URL("../proto", import.meta.url));
const N = 2_000;

function best(fn: () => unknown): number {
  let b = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t0) / N / 1000);
  }
  return b;
}

const record = (i: number) => ({
  requestId: `01a25000-0000-7000-8000-${String(i).padStart(12, "0")}`,
  timestampMs: 1_765_000_000_000 + i,
  method: "GET",
  path: "/bench/item",
  route: "bench",
  status: 200,
  durationMs: 3.21,
  gatewayMs: 0.42,
  keyId: "01a25000-a06f-735b-99b5-138c9c757354",
  orgId: "01a25000-a05f-74cb-8413-d92513b88b05",
  clientIp: "127.0.0.1",
  userAgent: "wrk",
  bytesIn: 0,
  bytesOut: 187,
  traceId: "",
  error: "",
});
const records = Array.from({ length: 250 }, (_, i) => record(i));
const groups = Array.from({ length: 30 }, (_, i) => ({ descriptors: [{ key: `{k${i}}:bench`, limit: 100_000, windowMs: 1000, cost: 1 }] }));

// protobuf-es: messages built as the edge builds them (records are complete messages already).
const esLog = create(audit.AppendLogsStreamRequestSchema, { id: 1n, batch: { records: records.map((r) => ({ ...r, timestampMs: BigInt(r.timestampMs), bytesIn: BigInt(r.bytesIn), bytesOut: BigInt(r.bytesOut) })) } });
const esCheck = create(ratelimit.CheckBatchStreamRequestSchema, {
  id: 1n,
  batch: { requests: groups.map((g) => ({ descriptors: g.descriptors.map((d) => ({ ...d, limit: BigInt(d.limit), windowMs: BigInt(d.windowMs), cost: BigInt(d.cost) })) })) },
});

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => `${PROTO_ROOT}/${target}`;
root.loadSync(["datahub/audit/v1/audit.proto", "datahub/ratelimit/v1/ratelimit.proto"], { keepCase: false });
const LogType = root.lookupType("datahub.audit.v1.AppendLogsStreamRequest");
const CheckType = root.lookupType("datahub.ratelimit.v1.CheckBatchStreamRequest");
const pjLog = LogType.fromObject({ id: 1, batch: { records } });
const pjCheck = CheckType.fromObject({ id: 1, batch: { requests: groups } });

const rows: Array<[string, number, number, number]> = [];
const esL = best(() => toBinary(audit.AppendLogsStreamRequestSchema, esLog));
const pjL = best(() => LogType.encode(pjLog).finish());
rows.push(["AppendLogs, 250 records", esL, pjL, toBinary(audit.AppendLogsStreamRequestSchema, esLog).length]);
const esC = best(() => toBinary(ratelimit.CheckBatchStreamRequestSchema, esCheck));
const pjC = best(() => CheckType.encode(pjCheck).finish());
rows.push(["CheckBatch, 30 groups", esC, pjC, toBinary(ratelimit.CheckBatchStreamRequestSchema, esCheck).length]);
for (const [name, es, pj, bytes] of rows) {
  console.log(`${name} (${bytes} bytes): protobuf-es ${es.toFixed(1)} µs, protobufjs ${pj.toFixed(1)} µs per batch (${(es / pj).toFixed(1)}×); per item ${(es / (name.startsWith("Append") ? 250 : 30)).toFixed(2)} vs ${(pj / (name.startsWith("Append") ? 250 : 30)).toFixed(2)} µs`);
}
