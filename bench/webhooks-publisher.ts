/**
 * The publishing side of bench/webhooks.ts in its own process (as the edge would be in
 * production), so the gRPC client's CPU is not taken from the webhooks workers.
 * argv: <grpc address> <org id> <events> <concurrency> <rate events/s, 0 = closed loop>.
 * Prints one JSON line: {starts: [epoch ms per seq], publishedAt: epoch ms}.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { webhooks } from "@datahub/proto";
import { createRpcClient } from "@datahub/runtime";

const [address, orgId, eventsArg, concurrencyArg, rateArg] = process.argv.slice(2);
const events = Number(eventsArg);
const concurrency = Number(concurrencyArg);
const rate = Number(rateArg);
const now = () => performance.timeOrigin + performance.now();
const client = createRpcClient(webhooks.WebhookService, address!, { timeoutMs: 30_000, credentials: { bearer: process.env.DATAHUB_INTERNAL_TOKEN } });
const starts: number[] = new Array(events);
const publish = (seq: number) => {
  starts[seq] = now();
  return client.publish({ orgId, type: "bench.event", data: fromJson(ValueSchema, { seq, pad: "x".repeat(200) }) });
};

async function main() {
  if (rate > 0) {
    const inflight = new Set<Promise<unknown>>();
    const t0 = performance.now();
    for (let i = 0; i < events; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const p = publish(i);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size >= concurrency) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  } else {
    let next = 0;
    const lane = async () => {
      while (next < events) await publish(next++);
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }
  process.stdout.write(JSON.stringify({ starts, publishedAt: now() }) + "\n");
  client.close();
}
main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
