/**
 * Starts OpenTelemetry (when the OTEL_* variables ask for it) in the main thread of `datahub
 * start` and in its services thread, BEFORE the rest of DataHub is imported: the Postgres and
 * Redis instrumentations patch `pg` and `ioredis` as they load (see the bin/ entry points).
 */
import { isMainThread, workerData } from "node:worker_threads";
import { ConfigError, loadConfig } from "@datahub/runtime/config";
import { startTelemetry } from "@datahub/runtime/telemetry";
import { threadSplit } from "./services-thread-protocol";

/** What this thread runs: the services thread gets its targets; the main thread keeps only the edge when it hands the rest to one. */
function threadTargets(): string[] | undefined {
  if (!isMainThread) return (workerData as { targets: string[] }).targets;
  try {
    const config = loadConfig();
    return threadSplit(config).threaded ? ["edge"] : config.targets;
  } catch (err) {
    // An invalid environment: `datahub start` reports it (one line, exit 78) right after this.
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
}

const targets = threadTargets();
if (targets !== undefined) {
  try {
    await startTelemetry({ targets });
  } catch (err) {
    // Same contract as every configuration error: one line naming the variable, exit 78.
    process.stderr.write(`datahub: ${(err as Error).message}\n`);
    process.exit(78);
  }
}
