import { Algorithm } from "../types";
import { slidingLog } from "./sliding-log";
import type { AlgorithmSpec } from "./types";

export type { AlgorithmSpec, MemoryAlgorithm, MemoryStore, NormalizedDescriptor } from "./types";

/** What `ALGORITHM_UNSPECIFIED` means. */
export const DEFAULT_ALGORITHM = Algorithm.SLIDING_LOG;

/** Algorithms this build can run, by proto enum value. One file per algorithm in this folder. */
export const ALGORITHMS: ReadonlyMap<Algorithm, AlgorithmSpec> = new Map([[slidingLog.id, slidingLog]]);

const NAMES: Record<number, string> = {
  [Algorithm.SLIDING_LOG]: "sliding-log",
  [Algorithm.GCRA]: "gcra",
  [Algorithm.SLIDING_WINDOW]: "sliding-window",
  [Algorithm.FIXED_WINDOW]: "fixed-window",
};

/** A readable name for an algorithm enum value, known or not. */
export function algorithmName(a: Algorithm): string {
  return NAMES[a] ?? `unknown (${a})`;
}
