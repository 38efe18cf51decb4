/**
 * Coalesces rate-limit checks of concurrent requests into one `CheckBatch` RPC. Groups queued
 * during one event-loop turn (flushed by `setImmediate`, after the turn's I/O callbacks) or until
 * `maxGroups` are sent together; each group keeps Check's all-or-nothing semantics on the service.
 * A unary RPC per request caps the edge at a few hundred requests/s; a batch per turn does not.
 * At most `maxInFlight` batches are outstanding: under load, groups arriving while they are
 * answered wait and leave together when one returns (Nagle-like), so the batch size grows with
 * the load instead of the RPC count (a full batch of `maxGroups` never waits).
 *
 * Failure: when the RPC fails or times out every group of the batch gets `null` (the caller, the
 * RateLimitGate, applies each policy's failure mode); after a failure the breaker stays open for
 * `breakerMs`, answering `null` at once instead of waiting for another timeout.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ratelimit } from "@datahub/proto";
import type { DescriptorInit } from "./policies";

/** The CheckBatch call as the batcher needs it (the real gRPC client or an in-memory fake). */
export type CheckBatchFn = (req: MessageInitShape<typeof ratelimit.CheckBatchRequestSchema>) => Promise<ratelimit.CheckBatchResponse>;

/** Options for {@link CheckBatcher}. */
export interface CheckBatcherOptions {
  send: CheckBatchFn;
  /** Maximum groups per RPC (default 256). */
  maxGroups?: number;
  /** Batches outstanding at once before new groups wait for one to return (default 1). */
  maxInFlight?: number;
  /** How long to fail open without trying after a failed batch (default 500 ms). */
  breakerMs?: number;
  /** Called with the number of groups answered `null` because the service failed. */
  onFailOpen?: (count: number) => void;
  /** Called with the error of a failed batch (for a rate-limited log line). */
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** Decisions of one group, in descriptor order; `null` = the service failed and the request was let through. */
export type GroupResult = ratelimit.Decision[] | null;

interface Pending {
  groups: Array<{ descriptors: DescriptorInit[]; traceparent?: string }>;
  resolvers: Array<(r: GroupResult) => void>;
}

/** Batches CheckRequest groups from concurrent requests. */
export class CheckBatcher {
  private pending: Pending | undefined;
  private scheduled = false;
  private openUntil = 0;
  private inFlight = 0;
  private readonly maxGroups: number;
  private readonly maxInFlight: number;
  private readonly breakerMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: CheckBatcherOptions) {
    this.maxGroups = opts.maxGroups ?? 256;
    this.maxInFlight = opts.maxInFlight ?? 1;
    this.breakerMs = opts.breakerMs ?? 500;
    this.now = opts.now ?? Date.now;
    this.flush = this.flush.bind(this);
  }

  /**
   * Queues one group; resolves with its decisions (never rejects). `traceparent` (tracing on only)
   * travels with the group, so the service's span of the batch links to the request.
   */
  check(descriptors: DescriptorInit[], traceparent?: string): Promise<GroupResult> {
    if (this.openUntil !== 0 && this.now() < this.openUntil) {
      this.opts.onFailOpen?.(1);
      return Promise.resolve(null);
    }
    const p = (this.pending ??= { groups: [], resolvers: [] });
    const promise = new Promise<GroupResult>((resolve) => p.resolvers.push(resolve));
    p.groups.push(traceparent === undefined ? { descriptors } : { descriptors, traceparent });
    if (p.groups.length >= this.maxGroups) this.send();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return promise;
  }

  /** Sends what is queued, unless `maxInFlight` batches are out (then the next return sends it). */
  flush(): void {
    this.scheduled = false;
    if (this.inFlight < this.maxInFlight) this.send();
  }

  private send(): void {
    const batch = this.pending;
    if (batch === undefined) return;
    this.pending = undefined;
    this.inFlight++;
    this.opts.send({ requests: batch.groups }).then(
      (res) => {
        this.returned();
        this.openUntil = 0;
        const responses = res.responses;
        if (responses.length !== batch.groups.length) {
          this.failOpen(batch, new Error(`CheckBatch answered ${responses.length} groups for ${batch.groups.length}`));
          return;
        }
        for (let i = 0; i < batch.resolvers.length; i++) {
          const { decisions, invalid } = responses[i]!;
          // The service refused this group's policy (the others were decided): say why, then
          // treat it as a failure of that group only.
          if (invalid) this.opts.onError?.(new Error(`rate-limit policy refused by the service: ${invalid}`));
          // A group answered with the wrong number of decisions is treated as a failure of that group.
          if (decisions.length !== batch.groups[i]!.descriptors.length) {
            this.opts.onFailOpen?.(1);
            batch.resolvers[i]!(null);
          } else batch.resolvers[i]!(decisions);
        }
      },
      (err: unknown) => {
        this.openUntil = this.now() + this.breakerMs;
        this.returned();
        this.failOpen(batch, err);
      },
    );
  }

  /** A batch came back: what waited for it goes out now. */
  private returned(): void {
    this.inFlight--;
    if (this.pending !== undefined && !this.scheduled) this.send();
  }

  private failOpen(batch: Pending, err: unknown): void {
    this.opts.onError?.(err);
    this.opts.onFailOpen?.(batch.resolvers.length);
    for (const resolve of batch.resolvers) resolve(null);
  }
}
