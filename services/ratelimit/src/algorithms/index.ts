import { Algorithm } from "../types";
import { fixedWindow } from "./fixed-window";
import { gcra } from "./gcra";
import { slidingLog } from "./sliding-log";
import { slidingWindow } from "./sliding-window";
import type { AlgorithmSpec } from "./types";

export type { AlgorithmSpec, MemoryAlgorithm, MemoryStore, NormalizedDescriptor } from "./types";

/** What `ALGORITHM_UNSPECIFIED` means unless configured (`DATAHUB_RATELIMIT_DEFAULT_ALGORITHM`). */
export const DEFAULT_ALGORITHM = Algorithm.SLIDING_LOG;

/** Algorithms this build can run, by proto enum value. One file per algorithm in this folder. */
export const ALGORITHMS: ReadonlyMap<Algorithm, AlgorithmSpec> = new Map(
  [slidingLog, gcra, slidingWindow, fixedWindow].map((a) => [a.id, a] as const),
);

/** The enum value of a config name (`sliding-log`, ...); undefined for an unknown name. */
export function algorithmByName(name: string): Algorithm | undefined {
  for (const spec of ALGORITHMS.values()) if (spec.name === name) return spec.id;
  return undefined;
}
