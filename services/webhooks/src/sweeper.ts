import { withTimeout, type Logger } from "@datahub/runtime";
import type { DeliveryQueue } from "./queue";
import type { WebhookStore } from "./store/types";

/** Options of {@link startSweeper}. */
export interface SweeperOptions {
  store: WebhookStore;
  queue: Pick<DeliveryQueue, "enqueue">;
  intervalMs: number;
  overdueMs: number;
  /** Deliveries enqueued per pass (the next pass takes the rest). */
  batchSize?: number;
  onEnqueued?(n: number): void;
  logger: Logger;
}

/** A running sweeper. */
export interface Sweeper {
  /** One pass now; resolves with the number of deliveries enqueued. */
  runNow(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The outbox sweeper: every `intervalMs` it enqueues pending deliveries that are due and were
 * never queued (Redis down at publish, a crash between commit and enqueue, RetryDelivery while
 * Redis was down) or that are long overdue (a Redis that lost its data). Enqueueing is by job id =
 * delivery id, so a delivery still in the queue is not duplicated; several replicas may sweep.
 */
export function startSweeper(opts: SweeperOptions): Sweeper {
  const batch = opts.batchSize ?? 1000;
  let running: Promise<number> | undefined;
  let stopped = false;
  let lastError = "";

  const pass = async (): Promise<number> => {
    let total = 0;
    try {
      for (;;) {
        const ids = await opts.store.dueDeliveries(opts.overdueMs, batch);
        if (ids.length === 0) break;
        await withTimeout(opts.queue.enqueue(ids), 5000);
        await opts.store.markEnqueued(ids);
        total += ids.length;
        if (ids.length < batch || stopped) break;
      }
      lastError = "";
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastError) opts.logger.warn({ err: { message } }, "webhook sweeper pass failed; will retry");
      lastError = message;
    }
    if (total > 0) {
      opts.onEnqueued?.(total);
      opts.logger.info({ deliveries: total }, "webhook sweeper enqueued deliveries");
    }
    return total;
  };

  const runNow = () => (running ??= pass().finally(() => (running = undefined)));
  const timer = setInterval(() => void runNow(), opts.intervalMs);
  timer.unref();

  return {
    runNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
