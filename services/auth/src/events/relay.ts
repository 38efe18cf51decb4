/**
 * Publishes the auth service's system events from the outbox to WebhookService.Publish.
 *
 * Key management never waits for (or fails because of) the webhooks service: a change commits
 * its event row; this relay delivers it later. Every `intervalMs` (and at once after a change,
 * via `kick()`) it claims due rows oldest first and publishes them one by one with the row id as
 * the idempotency key. A row that fails is retried with exponential backoff (±20 % jitter,
 * capped at `maxBackoffMs`). When the service is unreachable the rest of the batch is postponed
 * too and the relay pauses (kicks and ticks included) for the same delay, so an outage costs one
 * failed RPC per backoff period, not one per row or per key change; rows the service rejects
 * (INVALID_ARGUMENT, …) back off alone and never block the others.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { GrpcStatus, isUnavailable, throttledWarn, type Logger } from "@datahub/runtime";
import type { webhooks } from "@datahub/proto";
import type { Outbox, OutboxRow } from "./outbox";

/** The Publish call (the real gRPC client, or a fake). */
export type PublishFn = (req: MessageInitShape<typeof webhooks.PublishRequestSchema>) => Promise<webhooks.PublishResponse>;

/** Options of {@link EventRelay}. */
export interface EventRelayOptions {
  outbox: Outbox;
  publish: PublishFn;
  logger: Logger;
  /** Poll interval, and the first retry delay. */
  intervalMs: number;
  /** Longest delay between two attempts of one row. */
  maxBackoffMs: number;
  /** Rows per claim (default 100). */
  batchSize?: number;
  /** Called once per publish attempt with its outcome (metrics). */
  onOutcome?: (outcome: "published" | "failed") => void;
  random?: () => number;
}

/** Sent rows are kept this long (the webhooks service's idempotency window), then pruned. */
const SENT_RETENTION_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 60_000;
/** A claimed row is hidden from other replicas this long; a publish takes far less. */
const LEASE_MS = 30_000;

/** Codes meaning "the webhooks service cannot take events now" (UNIMPLEMENTED: the target there does not run it). */
function serviceDown(err: unknown): boolean {
  return isUnavailable(err) || (err as { code?: unknown })?.code === GrpcStatus.UNIMPLEMENTED;
}

/** Relays outbox rows to the webhooks service; see the file comment. */
export class EventRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** No timer is scheduled while true (before start, after stop). */
  private stopped = true;
  /** Set by stop(): a pass in progress ends after its current batch. */
  private stopRequested = false;
  private lastPrune = 0;
  /** While the webhooks service is unreachable: no pass before this time (ms). */
  private pausedUntil = 0;
  /** At most one warning per 10 s: an outage must not flood the log. */
  private readonly warn: (err: unknown, msg: string) => void;
  private readonly batchSize: number;
  private readonly random: () => number;

  constructor(private readonly opts: EventRelayOptions) {
    this.warn = throttledWarn(opts.logger);
    this.batchSize = opts.batchSize ?? 100;
    this.random = opts.random ?? Math.random;
  }

  /** Starts polling. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a pass soon (after a key change committed an event). */
  kick(): void {
    if (this.stopped || Date.now() < this.pausedUntil) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopRequested = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        const more = this.again;
        this.again = false;
        this.schedule(more ? 0 : this.opts.intervalMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  /** One pass: claim, publish, and repeat while batches come back full. Never throws. */
  async pass(): Promise<void> {
    if (Date.now() < this.pausedUntil) return;
    try {
      for (;;) {
        const rows = await this.opts.outbox.claim(this.batchSize, LEASE_MS);
        const ok = await this.publishAll(rows);
        if (!ok || rows.length < this.batchSize || this.stopRequested) break;
      }
      await this.prune();
    } catch (err) {
      this.warn(err, "event relay: the outbox is unreachable");
    }
  }

  /** Publishes rows in order; false when the service is down (the rest was postponed). */
  private async publishAll(rows: OutboxRow[]): Promise<boolean> {
    const { outbox, publish } = this.opts;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      try {
        await publish({ orgId: row.orgId, type: row.type, data: fromJson(ValueSchema, row.data), idempotencyKey: row.id });
        await outbox.markSent(row.id);
        this.opts.onOutcome?.("published");
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        const delay = this.backoff(row.attempts + 1);
        this.opts.onOutcome?.("failed");
        if (serviceDown(err)) {
          await outbox.reschedule([row.id], delay, message, true);
          await outbox.reschedule(rows.slice(i + 1).map((r) => r.id), delay, "postponed: webhooks service unavailable", false);
          this.pausedUntil = Date.now() + delay;
          this.warn(err, "event relay: webhooks service unavailable; events stay in the outbox");
          return false;
        }
        await outbox.reschedule([row.id], delay, message, true);
        this.warn(err, "event relay: the webhooks service refused an event; it will be retried");
      }
    }
    return true;
  }

  /** Exponential from `intervalMs`, capped, with ±20 % jitter so replicas do not retry in step. */
  backoff(attempt: number): number {
    const base = Math.min(this.opts.maxBackoffMs, this.opts.intervalMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await this.opts.outbox.pruneSent(new Date(Date.now() - SENT_RETENTION_MS), 1000);
  }

}
