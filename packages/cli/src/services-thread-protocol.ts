import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { Config } from "@datahub/runtime/config";

/** Messages from the main thread to the services thread. */
export type ThreadRequest =
  | { type: "metrics"; id: number }
  | { type: "health"; id: number }
  | { type: "reload"; id: number }
  | { type: "stop"; id: number };

/** Messages from the services thread to the main thread. */
export type ThreadReply =
  | { type: "started"; grpcPort: number }
  | { type: "failed"; message: string; code?: string; listen?: { variable: string; address: string; reason: string } }
  | { type: "metrics"; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { type: "health"; id: number; ready: boolean; checks: Record<string, boolean> }
  | { type: "stopped"; id: number };

/**
 * How a process's targets split between threads: with the edge and other services in one process
 * (and `DATAHUB_SERVICES_THREAD` on), the others run on the services thread. Imports nothing at
 * run time, so the tracing preload can call it before pg or ioredis load.
 */
export function threadSplit(config: Pick<Config, "servicesThread" | "targets">): { threaded: boolean; others: Config["targets"] } {
  const others = config.targets.filter((t) => t !== "edge");
  return { threaded: config.servicesThread && config.targets.includes("edge") && others.length > 0, others };
}
