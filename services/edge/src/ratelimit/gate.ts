/**
 * The edge's rate-limit decision for one request: the over-limit cache, then the ratelimit service
 * (through the batcher), and when the service cannot answer, each policy's failure mode:
 *
 * - `open`   (default): the policy is skipped; counted as `failed_open`.
 * - `closed`: the request is refused with 503 + `Retry-After: 1` (not 429: the client did not
 *   exceed anything, and a 429 would make well-behaved clients back off as if it had); counted as
 *   `failed_closed`.
 * - `local`:  the policy is checked in this instance's memory limiter at limit / instances
 *   (at least 1); counted as `failed_local`. Exact per instance, so the fleet admits about `limit`.
 *
 * A group mixing modes: any `closed` policy refuses it; else its `local` policies are checked as
 * one atomic group (open ones are skipped).
 */
import { MemoryRateLimiter, type DescriptorInput } from "@datahub/ratelimit";
import type { ratelimit } from "@datahub/proto";
import type { CheckBatcher } from "./batcher";
import { rateLimitHeaders, type RateLimitHeaders } from "./headers";
import { OverLimitCache } from "./over-limit-cache";
import type { FailureMode, PolicyGroup } from "./policies";

/** What the pipeline does with a request. `status` 0 = go on; 429 or 503 = answer that. */
export interface Verdict {
  status: 0 | 429 | 503;
  /** RateLimit headers to send (absent when no decision was made, e.g. failed open). */
  headers: RateLimitHeaders | undefined;
  /** The service's decisions behind a 429 it answered (not a cached or local one): for `ratelimit.exceeded`. */
  decisions?: readonly ratelimit.Decision[];
}

/** Options for {@link RateLimitGate}. */
export interface RateLimitGateOptions {
  batcher: Pick<CheckBatcher, "check">;
  /** Mode of a policy that sets none (`config.ratelimit.failureMode`). */
  defaultFailureMode: FailureMode;
  /** Edge instances sharing the limits: the local fallback admits limit / instances. */
  instances: number;
  /** For the local limiter's key check and its sliding-log cap. */
  prefix?: string;
  maxLogLimit?: number;
  /** What UNSPECIFIED means for the local limiter (the service's default algorithm). */
  defaultAlgorithm?: ratelimit.Algorithm;
  /** Counts outcomes: `failed_open`, `failed_closed`, `failed_local`, `denied_cached`. */
  onDecision?: (decision: "failed_open" | "failed_closed" | "failed_local" | "denied_cached") => void;
  cache?: OverLimitCache;
}

const GO: Verdict = { status: 0, headers: undefined };
const CLOSED: Verdict = { status: 503, headers: undefined };

/** Decides rate limits for the pipeline. */
export class RateLimitGate {
  readonly cache: OverLimitCache;
  private readonly local: MemoryRateLimiter;

  constructor(private readonly opts: RateLimitGateOptions) {
    this.cache = opts.cache ?? new OverLimitCache();
    this.local = new MemoryRateLimiter({ prefix: opts.prefix, maxLogLimit: opts.maxLogLimit, defaultAlgorithm: opts.defaultAlgorithm });
  }

  /** Checks one group (never rejects); `traceparent` is the request's, when tracing is on. */
  async check(group: PolicyGroup, traceparent?: string): Promise<Verdict> {
    const askedAt = this.cache.now();
    const cached = this.cached(group, askedAt);
    if (cached !== undefined) return cached;
    const decisions = await this.opts.batcher.check(group.descriptors, traceparent);
    if (decisions === null) return this.unavailable(group);
    let denied = false;
    for (let i = 0; i < decisions.length; i++) {
      const d = decisions[i]!;
      if (d.allowed) continue;
      denied = true;
      const x = group.descriptors[i]!;
      this.cache.add(x.key!, x.limit as bigint, x.windowMs as bigint, x.algorithm ?? 0, askedAt, Number(d.retryAfterMs));
    }
    return { status: denied ? 429 : 0, headers: rateLimitHeaders(group, decisions, denied), decisions: denied ? decisions : undefined };
  }

  /**
   * A 429 without a round trip when a descriptor of the group is known to be over its limit, else
   * undefined. The pipeline also asks this for the anonymous limit of a request whose key is not in
   * the key cache: an IP over its anonymous limit gets 429 before its key is verified, so it cannot
   * learn whether guessed keys are valid (docs/ratelimiting.md).
   */
  cached(group: PolicyGroup, now = this.cache.now()): Verdict | undefined {
    // Usually nothing is over its limit: skip building and hashing the lookup keys.
    if (this.cache.size === 0) return undefined;
    const ds = group.descriptors;
    for (let i = 0; i < ds.length; i++) {
      const x = ds[i]!;
      const e = this.cache.get(x.key!, x.limit as bigint, x.windowMs as bigint, x.algorithm ?? 0, now);
      if (e === undefined) continue;
      this.opts.onDecision?.("denied_cached");
      const retry = BigInt(Math.ceil(e.until - now));
      // Only the denied policy's numbers are known; the others are reported with their quota
      // (RateLimit names the denied one, RateLimit-Policy lists them all).
      const decisions = ds.map((y, j) =>
        j === i
          ? { allowed: false, limit: e.limit, remaining: 0n, resetAfterMs: retry, retryAfterMs: retry }
          : { allowed: true, limit: y.limit as bigint, remaining: y.limit as bigint, resetAfterMs: 0n, retryAfterMs: 0n },
      );
      return { status: 429, headers: rateLimitHeaders(group, decisions, true) };
    }
    return undefined;
  }

  /** The service did not answer: apply each policy's failure mode. */
  private async unavailable(group: PolicyGroup): Promise<Verdict> {
    const modes = group.failureModes.map((m) => m ?? this.opts.defaultFailureMode);
    if (modes.includes("closed")) {
      this.opts.onDecision?.("failed_closed");
      return CLOSED;
    }
    const idx: number[] = [];
    modes.forEach((m, i) => m === "local" && idx.push(i));
    if (idx.length === 0) {
      this.opts.onDecision?.("failed_open");
      return GO;
    }
    this.opts.onDecision?.("failed_local");
    const descs: DescriptorInput[] = idx.map((i) => {
      const x = group.descriptors[i]!;
      return { key: x.key!, limit: Math.max(1, Math.floor(Number(x.limit) / this.opts.instances)), windowMs: Number(x.windowMs), cost: Number(x.cost ?? 1n), algorithm: x.algorithm ?? 0 };
    });
    let out;
    try {
      out = (await this.local.check([descs]))[0]!;
    } catch {
      // A policy the local limiter refuses (e.g. over its sliding-log cap): nothing to enforce here.
      return GO;
    }
    const sub: PolicyGroup = {
      descriptors: idx.map((i) => group.descriptors[i]!),
      names: idx.map((i) => group.names[i]!),
      windows: idx.map((i) => group.windows[i]!),
      limits: descs.map((x) => x.limit),
      failureModes: idx.map(() => "local"),
    };
    const decisions = out.map((d) => ({ allowed: d.allowed, limit: BigInt(d.limit), remaining: BigInt(d.remaining), resetAfterMs: BigInt(d.resetAfterMs), retryAfterMs: BigInt(d.retryAfterMs) }));
    const denied = out.some((d) => !d.allowed);
    return { status: denied ? 429 : 0, headers: rateLimitHeaders(sub, decisions, denied) };
  }

  /** Frees the local limiter's memory. */
  async close(): Promise<void> {
    await this.local.close();
  }
}
