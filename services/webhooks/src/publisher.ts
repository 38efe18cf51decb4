import { newId, withTimeout, type Logger } from "@datahub/runtime";
import { Batcher } from "./batcher";
import type { WebhookMetrics } from "./metrics";
import type { DeliveryQueue } from "./queue";
import type { PublishResult, WebhookStore } from "./store/types";
import { cleanTraceparent, invalid, patternsMatching, validateEventType, validateIdempotencyKey } from "./validation";

/** An event to publish; `data` is any JSON value. */
export interface PublishInput {
  orgId: string;
  type: string;
  data: unknown;
  idempotencyKey?: string;
  traceparent?: string;
  /** Only this endpoint receives it, whatever its filter (test events; see WebhookStore.publishTo). */
  endpointId?: string;
}

/** Options of {@link EventPublisher}. */
export interface PublisherOptions {
  store: WebhookStore;
  queue: Pick<DeliveryQueue, "enqueue">;
  /** True when the queue's Redis connection can take commands now. */
  queueReady(): boolean;
  maxPayloadBytes: number;
  /** Longest wait for the post-commit enqueue before leaving it to the sweeper. */
  enqueueTimeoutMs?: number;
  metrics: WebhookMetrics;
  logger: Logger;
}

/**
 * Publish through a transactional outbox: the event and its delivery rows commit together in
 * Postgres, then the deliveries are enqueued in BullMQ. If Redis is down (or this process dies
 * between commit and enqueue) the rows stay un-enqueued and the sweeper enqueues them later, so
 * an accepted event is never lost. Used by the Publish RPC and for system events.
 */
export class EventPublisher {
  private enqueued: string[] = [];
  private flushTimer?: NodeJS.Timeout;

  /** Concurrent publishes share one addBulk (one Redis round trip) per few ms. */
  private readonly enqueues: Batcher<string[], void>;

  constructor(private readonly opts: PublisherOptions) {
    this.enqueues = new Batcher(async (lists) => {
      await opts.queue.enqueue(lists.flat());
      return lists.map(() => undefined);
    }, 1);
  }

  /** Validates, stores and enqueues; throws INVALID_ARGUMENT for bad input. */
  async publish(input: PublishInput): Promise<PublishResult> {
    const type = validateEventType(input.type);
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey ?? "");
    const payload = JSON.stringify(input.data ?? null);
    const size = Buffer.byteLength(payload);
    if (size > this.opts.maxPayloadBytes) throw invalid("data", `payload is ${size} bytes; at most ${this.opts.maxPayloadBytes} are accepted`);
    const event = { id: newId(), orgId: input.orgId, type, payload, idempotencyKey, traceparent: cleanTraceparent(input.traceparent ?? "") };
    const result = input.endpointId ? await this.opts.store.publishTo(event, input.endpointId) : await this.opts.store.publish(event, patternsMatching(type));
    if (!result.duplicate) this.opts.metrics.published.inc();
    if (result.deliveryIds.length > 0) await this.enqueue(result.deliveryIds);
    return result;
  }

  /** Post-commit enqueue; failures are logged and left to the sweeper (never fail the publish). */
  private async enqueue(ids: string[]): Promise<void> {
    if (!this.opts.queueReady()) {
      this.opts.logger.debug({ deliveries: ids.length }, "queue not ready; the sweeper will enqueue");
      return;
    }
    try {
      await withTimeout(this.enqueues.call(ids), this.opts.enqueueTimeoutMs ?? 1000);
      this.markEnqueued(ids);
    } catch (err) {
      this.opts.logger.warn({ deliveries: ids.length, err: { message: (err as Error).message } }, "enqueue after commit failed; the sweeper will retry");
    }
  }

  /**
   * Records "queued" for many publishes in one UPDATE every few ms: the flag only spares the
   * sweeper work, so a lost batch (crash) costs at most a redundant, idempotent re-enqueue.
   */
  private markEnqueued(ids: string[]): void {
    this.enqueued.push(...ids);
    this.flushTimer ??= setTimeout(() => void this.flush(), 10);
  }

  /** Writes pending "queued" marks now (also on shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.enqueued;
    this.enqueued = [];
    await this.opts.store.markEnqueued(ids).catch((err: Error) => this.opts.logger.debug({ err: { message: err.message } }, "markEnqueued failed"));
  }
}
