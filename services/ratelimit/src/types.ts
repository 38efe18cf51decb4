import { ratelimit } from "@datahub/proto";

export const Algorithm = ratelimit.Algorithm;
export type Algorithm = ratelimit.Algorithm;

/** One limit to check: the plain-object form of the proto `Descriptor` (docs/reference/grpc.md). */
export interface DescriptorInput {
  /** Caller's key, e.g. `{<principal>}:route:orders`; the `{...}` hash tag picks the cluster slot. */
  key: string;
  /** Units admitted per window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Units this call consumes; 0 is read as 1. */
  cost: number;
  /** Which algorithm; UNSPECIFIED means the default (sliding log). */
  algorithm: Algorithm;
}

/** The outcome for one descriptor: the plain-object form of the proto `Decision`. */
export interface DecisionOutput {
  /** This descriptor alone would have admitted the call. The group was admitted (and consumed
   * quota) only when every decision of the group is allowed. */
  allowed: boolean;
  limit: number;
  /** Units left in the window after this call (after consumption when the group was admitted). */
  remaining: number;
  /**
   * Milliseconds until more quota becomes available (the oldest counted unit leaves the window):
   * the `t` of draft-ietf-httpapi-ratelimit-headers-11. 0 when nothing is counted (the whole quota
   * is available).
   */
  resetAfterMs: number;
  /** On deny: exact milliseconds until enough units free up to fit `cost`; 0 when allowed. */
  retryAfterMs: number;
}
