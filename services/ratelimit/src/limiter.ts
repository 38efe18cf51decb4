import type { DecisionOutput, DescriptorInput } from "./types";

export type { DecisionOutput, DescriptorInput };

/**
 * The rate-limit engine behind the RPCs. Each inner array of `groups` is one atomic group (one
 * `CheckRequest`): its quota is consumed only when every descriptor is within its limit, and then
 * all of them consume it together. Groups are independent of each other.
 *
 * Implementations: {@link RedisRateLimiter} (shared, exact, the service's store) and
 * {@link MemoryRateLimiter} (per-process, the same semantics; tests and the edge's local fallback).
 */
export interface RateLimiter {
  /**
   * Checks every group; the result has one decision per descriptor, in the input's order.
   * @throws RateLimitInputError for invalid input (nothing is consumed by any group then).
   * @throws RateLimitUnavailableError when the store cannot answer in time.
   */
  check(groups: DescriptorInput[][]): Promise<DecisionOutput[][]>;
  /** Releases what the limiter holds (connections, timers). */
  close(): Promise<void>;
}

/** The store could not answer (down, slow, or erroring); the caller decides fail-open or -closed. */
export class RateLimitUnavailableError extends Error {
  override name = "RateLimitUnavailableError";
}
