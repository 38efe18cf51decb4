/**
 * Starts OpenTelemetry (when the OTEL_* variables ask for it) in the main thread of `datahub
 * start` and in its services thread, BEFORE the rest of DataHub is imported: the Postgres and
 * Redis instrumentations patch `pg` and `ioredis` as they load (see the bin/ entry points).
 */
import { isMainThread, workerData } from "node:worker_threads";
import { startTelemetry } from "@datahub/runtime/telemetry";

const targets = isMainThread
  ? (process.env.DATAHUB_TARGET || "all").split(",").map((s) => s.trim()).filter(Boolean)
  : ((workerData as { targets: string[] }).targets ?? []);

try {
  await startTelemetry({ targets });
} catch (err) {
  // Same contract as every configuration error: one line naming the variable, exit 78.
  process.stderr.write(`datahub: ${(err as Error).message}\n`);
  process.exit(78);
}
