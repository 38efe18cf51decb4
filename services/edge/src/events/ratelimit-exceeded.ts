/**
 * The `ratelimit.exceeded` system event (docs/reference/http-api.md, "Endpoints"): when a key's request is rate limited, the
 * edge publishes `{keyId, limit, windowSeconds, policy}` to the key's org, at most once per key
 * per window.
 *
 * Off the request path: `note()` is synchronous, never throws and never waits; the publish runs
 * in the background with a short deadline. Dedupe is twofold: an in-process memo of
 * (key, window start) so one edge sends one event per window, and the idempotency key
 * `ratelimit.exceeded:<keyId>:<windowStart>` so the webhooks service dedupes across edges. The
 * window start is the policy window aligned to the epoch (`floor(now / window) * window`), which
 * every edge computes alike. When the webhooks service fails, the edge stops trying for
 * `breakerMs` and forgets the memo entry, so a later 429 in the same window may try again;
 * in-flight publishes are capped so an outage cannot pile up requests.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { throttledWarn, type Logger } from "@datahub/runtime";
import type { ratelimit, webhooks } from "@datahub/proto";
import type { Principal } from "../context";
import { closestDecision } from "../ratelimit/headers";
import type { PolicyGroup } from "../ratelimit/policies";

/** The Publish call (the real gRPC client or a fake). */
export type PublishFn = (req: MessageInitShape<typeof webhooks.PublishRequestSchema>, opts?: { timeoutMs?: number }) => Promise<unknown>;

/** Options of {@link RateLimitEvents}. */
export interface RateLimitEventsOptions {
  publish: PublishFn;
  logger: Logger;
  /** Deadline of one publish (default 2000 ms). */
  timeoutMs?: number;
  /** After a failed publish, how long to not try (default 5000 ms). */
  breakerMs?: number;
  /** Publishes outstanding at once; beyond it events are dropped (default 64). */
  maxInFlight?: number;
  /** (key, window) pairs remembered (default 10,000). */
  memoSize?: number;
  /** Called per event with its outcome (metrics, tests). */
  onOutcome?: (outcome: "published" | "failed" | "dropped") => void;
  now?: () => number;
}

/** Publishes `ratelimit.exceeded` events; see the file comment. */
export class RateLimitEvents {
  /** `keyId:windowStart` → end of that window (ms). */
  private readonly memo = new Map<string, number>();
  private inFlight = 0;
  private openUntil = 0;
  /** At most one line per 10 s: an outage must not flood the log. */
  private readonly warn: (err: unknown, msg: string) => void;
  private readonly timeoutMs: number;
  private readonly breakerMs: number;
  private readonly maxInFlight: number;
  private readonly memoSize: number;
  private readonly now: () => number;

  constructor(private readonly opts: RateLimitEventsOptions) {
    this.warn = throttledWarn(opts.logger);
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.breakerMs = opts.breakerMs ?? 5000;
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.memoSize = opts.memoSize ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Records a 429 of `principal` for `group`'s `decisions`. Synchronous; never throws. */
  note(principal: Principal, group: PolicyGroup, decisions: readonly ratelimit.Decision[]): void {
    try {
      this.noteUnsafe(principal, group, decisions);
    } catch (err) {
      this.warn(err, "ratelimit.exceeded: could not build the event");
    }
  }

  /** Publishes outstanding right now (tests). */
  get pending(): number {
    return this.inFlight;
  }

  private noteUnsafe(principal: Principal, group: PolicyGroup, decisions: readonly ratelimit.Decision[]): void {
    const now = this.now();
    if (now < this.openUntil) return;
    const i = closestDecision(decisions);
    const windowSeconds = group.windows[i]!;
    const d = decisions[i]!;
    const limit = d.limit > 0n ? Number(d.limit) : group.limits[i]!;
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const memoKey = principal.keyId + ":" + windowStart;
    if (this.memo.has(memoKey)) return;
    if (this.inFlight >= this.maxInFlight) {
      this.opts.onOutcome?.("dropped");
      return;
    }
    this.remember(memoKey, windowStart + windowMs, now);
    this.inFlight++;
    const data = { keyId: principal.keyId, limit, windowSeconds, policy: group.names[i]! };
    const req = {
      orgId: principal.orgId,
      type: "ratelimit.exceeded",
      data: fromJson(ValueSchema, data),
      idempotencyKey: `ratelimit.exceeded:${principal.keyId}:${windowStart}`,
    };
    // Started from a microtask: even a publish that throws synchronously becomes a rejection here.
    Promise.resolve()
      .then(() => this.opts.publish(req, { timeoutMs: this.timeoutMs }))
      .then(
        () => this.opts.onOutcome?.("published"),
        (err: unknown) => {
          this.memo.delete(memoKey);
          this.openUntil = this.now() + this.breakerMs;
          this.opts.onOutcome?.("failed");
          this.warn(err, "ratelimit.exceeded: the webhooks service did not take the event");
        },
      )
      .finally(() => this.inFlight--);
  }

  /** Adds a memo entry, first dropping ended windows (and, if still full, the oldest entries). */
  private remember(key: string, endsAt: number, now: number): void {
    if (this.memo.size >= this.memoSize) {
      for (const [k, end] of this.memo) if (end <= now) this.memo.delete(k);
      for (const k of this.memo.keys()) {
        if (this.memo.size < this.memoSize) break;
        this.memo.delete(k);
      }
    }
    this.memo.set(key, endsAt);
  }

}
