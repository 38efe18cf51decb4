import type { MetricObjectWithValues, MetricValue } from "prom-client";

/** Messages from the main thread to the services thread. */
export type ThreadRequest =
  | { type: "metrics"; id: number }
  | { type: "health"; id: number }
  | { type: "reload"; id: number }
  | { type: "stop"; id: number };

/** Messages from the services thread to the main thread. */
export type ThreadReply =
  | { type: "started"; grpcPort: number }
  | { type: "failed"; message: string; code?: string }
  | { type: "metrics"; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { type: "health"; id: number; ready: boolean; checks: Record<string, boolean> }
  | { type: "stopped"; id: number };
