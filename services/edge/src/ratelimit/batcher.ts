/**
 * Coalesces rate-limit checks of concurrent requests into one `CheckBatch` RPC. Groups queued
 * during one event-loop turn (flushed by `setImmediate`, after the turn's I/O callbacks) or until
 * `maxGroups` are sent together; each group keeps Check's all-or-nothing semantics on the service.
 * A unary RPC per request caps the edge at a few hundred requests/s; a batch per turn does not.
 *
 * Failure policy: fail open. When the RPC fails or times out every request of the batch is
 * allowed (result `null`) and counted as `failed_open`; after a failure the breaker stays open
 * for `breakerMs`, failing open at once instead of waiting for another timeout.
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
  /** How long to fail open without trying after a failed batch (default 500 ms). */
  breakerMs?: number;
  /** Called once per request that was allowed because the service failed. */
  onFailOpen?: (count: number) => void;
  /** Called with the error of a failed batch (for a rate-limited log line). */
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** Decisions of one group, in descriptor order; `null` = the service failed and the request was let through. */
export type GroupResult = ratelimit.Decision[] | null;

interface Pending {
  groups: Array<{ descriptors: DescriptorInit[] }>;
  resolvers: Array<(r: GroupResult) => void>;
}

/** Batches CheckRequest groups from concurrent requests. */
export class CheckBatcher {
  private pending: Pending | undefined;
  private scheduled = false;
  private openUntil = 0;
  private readonly maxGroups: number;
  private readonly breakerMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: CheckBatcherOptions) {
    this.maxGroups = opts.maxGroups ?? 256;
    this.breakerMs = opts.breakerMs ?? 500;
    this.now = opts.now ?? Date.now;
    this.flush = this.flush.bind(this);
  }

  /** Queues one group; resolves with its decisions (never rejects). */
  check(descriptors: DescriptorInit[]): Promise<GroupResult> {
    if (this.openUntil !== 0 && this.now() < this.openUntil) {
      this.opts.onFailOpen?.(1);
      return Promise.resolve(null);
    }
    const p = (this.pending ??= { groups: [], resolvers: [] });
    const promise = new Promise<GroupResult>((resolve) => p.resolvers.push(resolve));
    p.groups.push({ descriptors });
    if (p.groups.length >= this.maxGroups) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return promise;
  }

  /** Sends what is queued now (also called by the timer). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch === undefined) return;
    this.pending = undefined;
    this.opts.send({ requests: batch.groups }).then(
      (res) => {
        this.openUntil = 0;
        const responses = res.responses;
        if (responses.length !== batch.groups.length) {
          this.failOpen(batch, new Error(`CheckBatch answered ${responses.length} groups for ${batch.groups.length}`));
          return;
        }
        for (let i = 0; i < batch.resolvers.length; i++) {
          const decisions = responses[i]!.decisions;
          // A group answered with the wrong number of decisions is treated as a failure of that group.
          if (decisions.length !== batch.groups[i]!.descriptors.length) {
            this.opts.onFailOpen?.(1);
            batch.resolvers[i]!(null);
          } else batch.resolvers[i]!(decisions);
        }
      },
      (err: unknown) => {
        this.openUntil = this.now() + this.breakerMs;
        this.failOpen(batch, err);
      },
    );
  }

  private failOpen(batch: Pending, err: unknown): void {
    this.opts.onError?.(err);
    this.opts.onFailOpen?.(batch.resolvers.length);
    for (const resolve of batch.resolvers) resolve(null);
  }
}
