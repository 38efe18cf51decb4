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
  /** Retention: finished events older than this are deleted (with deliveries and attempts). */
  retentionMs?: number;
  /** How often retention runs (default 1 h); the first pass runs it too. */
  purgeEveryMs?: number;
  onPurged?(n: number): void;
  now?: () => number;
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
 * Every `purgeEveryMs` a pass also applies retention, in batches, oldest events first.
 */
export function startSweeper(opts: SweeperOptions): Sweeper {
  const batch = opts.batchSize ?? 1000;
  let running: Promise<number> | undefined;
  let stopped = false;
  let lastError = "";

  /** Runs `step` (one batch; resolves with how many rows it handled) until a batch comes back short. */
  const drain = async (step: () => Promise<number>, onError: (message: string) => void): Promise<number> => {
    let total = 0;
    try {
      for (;;) {
        const n = await step();
        total += n;
        if (n < batch || stopped) break;
      }
    } catch (err) {
      onError((err as Error).message);
    }
    return total;
  };

  const pass = async (): Promise<number> => {
    let failed = false;
    const total = await drain(
      async () => {
        const ids = await opts.store.dueDeliveries(opts.overdueMs, batch);
        if (ids.length === 0) return 0;
        await withTimeout(opts.queue.enqueue(ids), 5000);
        await opts.store.markEnqueued(ids);
        return ids.length;
      },
      (message) => {
        failed = true;
        if (message !== lastError) opts.logger.warn({ err: { message } }, "webhook sweeper pass failed; will retry");
        lastError = message;
      },
    );
    if (!failed) lastError = "";
    if (total > 0) {
      opts.onEnqueued?.(total);
      opts.logger.info({ deliveries: total }, "webhook sweeper enqueued deliveries");
    }
    return total;
  };

  const now = opts.now ?? Date.now;
  let lastPurge = -Infinity;
  const purge = async (): Promise<number> => {
    if (opts.retentionMs === undefined) return 0;
    lastPurge = now();
    const total = await drain(
      () => opts.store.purgeEvents(new Date(now() - opts.retentionMs!), batch),
      (message) => opts.logger.warn({ err: { message } }, "webhook retention pass failed; will retry"),
    );
    if (total > 0) {
      opts.onPurged?.(total);
      opts.logger.info({ events: total }, "webhook retention deleted old events");
    }
    return total;
  };
  const every = opts.purgeEveryMs ?? 3_600_000;

  const runNow = () =>
    (running ??= pass()
      .then(async (n) => {
        if (now() - lastPurge >= every) await purge();
        return n;
      })
      .finally(() => (running = undefined)));
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
