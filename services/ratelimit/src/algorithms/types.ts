import type { Algorithm, DecisionOutput } from "../types";

/** A descriptor after validation: cost >= 1, algorithm resolved, storage key computed. */
export interface NormalizedDescriptor {
  key: string;
  /** `${prefix}:rl:${key}`: the Redis key (and the memory limiter's map key). */
  storageKey: string;
  limit: number;
  windowMs: number;
  cost: number;
  /** Never UNSPECIFIED: the default is already applied. */
  algorithm: Algorithm;
}

/** A key/value map with per-entry expiry, standing in for Redis in the memory limiter. */
export interface MemoryStore {
  /** The live value under `key`, or undefined when absent or expired at `nowUs`. */
  get<T>(key: string, nowUs: number): T | undefined;
  /** Stores `value` until `expiresAtUs` (like SET + PEXPIREAT). */
  set<T>(key: string, value: T, expiresAtUs: number): void;
  delete(key: string): void;
}

/** First phase of a check: what one descriptor would do, before the group decides. */
export interface Assessment {
  allowed: boolean;
}

/**
 * The in-memory twin of an algorithm's Lua fragment: the same three phases with the same results.
 * `assess` runs for every descriptor of a group; then `commit` (group admitted) or `report` (group
 * refused, nothing consumed) runs for each. Time is in microseconds, like the Lua side.
 */
export interface MemoryAlgorithm<A extends Assessment = Assessment> {
  assess(store: MemoryStore, d: NormalizedDescriptor, nowUs: number): A;
  commit(store: MemoryStore, d: NormalizedDescriptor, a: A, nowUs: number): DecisionOutput;
  report(store: MemoryStore, d: NormalizedDescriptor, a: A, nowUs: number): DecisionOutput;
}

/** Everything the service knows about one algorithm. */
export interface AlgorithmSpec {
  id: Algorithm;
  /** Name in errors and docs, e.g. `sliding-log`. */
  name: string;
  /**
   * Lua source that sets `ALGORITHMS[<id>] = { assess, commit, report }` inside the group script
   * (see group.lua for the calling convention).
   */
  lua: string;
  memory: MemoryAlgorithm<any>;
  /** Highest `limit` this algorithm accepts (e.g. memory-bound for logs); undefined = no cap. */
  maxLimit?(opts: { maxLogLimit: number }): number;
}
