/**
 * Rate-limit response headers per draft-ietf-httpapi-ratelimit-headers-11:
 * `RateLimit-Policy: "default";q=100;w=60` lists the policies that applied and
 * `RateLimit: "default";r=42;t=37` reports the one closest to its limit; a 429 adds `Retry-After`.
 */
import type { ratelimit } from "@datahub/proto";
import type { PolicyGroup } from "./policies";

/** The headers of one rate-limited response. */
/** The fields of a decision the headers read (a protobuf Decision, or a plain object built at the edge). */
export type DecisionLike = Pick<ratelimit.Decision, "allowed" | "limit" | "remaining" | "resetAfterMs" | "retryAfterMs">;

export interface RateLimitHeaders {
  "ratelimit-policy": string;
  ratelimit: string;
  "retry-after"?: string;
}

/**
 * Index of the decision to report: a denied one (the longest wait) if any, else the one with the
 * smallest share of its quota left.
 */
export function closestDecision(decisions: readonly DecisionLike[]): number {
  let best = 0;
  let bestScore = Infinity;
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i]!;
    // Denied decisions sort before any allowed one, longest retry first.
    const score = d.allowed ? (d.limit > 0n ? Number(d.remaining) / Number(d.limit) : 0) : -1 - Number(d.retryAfterMs);
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/** Formats the headers for a group and its decisions (same order); `denied` adds `Retry-After`. */
export function rateLimitHeaders(group: PolicyGroup, decisions: readonly DecisionLike[], denied: boolean): RateLimitHeaders {
  let policy = "";
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i]!;
    if (i > 0) policy += ", ";
    policy += '"' + group.names[i] + '";q=' + (d.limit > 0n ? d.limit : group.limits[i]) + ";w=" + group.windows[i];
  }
  const i = closestDecision(decisions);
  const d = decisions[i]!;
  const out: RateLimitHeaders = {
    "ratelimit-policy": policy,
    ratelimit: '"' + group.names[i] + '";r=' + d.remaining + ";t=" + Math.ceil(Number(d.resetAfterMs) / 1000),
  };
  if (denied) out["retry-after"] = String(Math.max(1, Math.ceil(Number(d.retryAfterMs) / 1000)));
  return out;
}
