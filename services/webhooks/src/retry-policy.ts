/**
 * When the next attempt of a failed delivery happens: the configured schedule (Svix's by
 * default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with ±20 % jitter so a receiver that comes
 * back is not hit by every retry at once, stretched to the receiver's `Retry-After` on 429/503.
 */

/** Jitter as a fraction of the scheduled delay (±). */
export const JITTER = 0.2;

/** Options of {@link nextDelayMs}. */
export interface RetryPolicy {
  /** Delay before attempt n+1 is `scheduleMs[n-1]`; no attempt past the schedule. */
  scheduleMs: number[];
  /** Cap on a `Retry-After` value. */
  retryAfterMaxMs: number;
  /** [0, 1) random source (tests pin it). */
  random?: () => number;
}

/**
 * Milliseconds until the next attempt after attempt number `attempt` (1-based) failed, or
 * undefined when the schedule is exhausted (the delivery fails for good).
 */
export function nextDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number | undefined {
  const base = policy.scheduleMs[attempt - 1];
  if (base === undefined) return undefined;
  const r = (policy.random ?? Math.random)();
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * r));
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.retryAfterMaxMs));
}

/**
 * Parses a `Retry-After` header (delay-seconds or an HTTP date) into milliseconds from `now`;
 * undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
