import { DelayedError, Worker, type ConnectionOptions } from "bullmq";
import type { Logger } from "@datahub/runtime";
import { deliverOnce, type DeliveryDeps } from "./delivery";
import { QUEUE_NAME, type DeliveryJob } from "./queue";

/** Options of {@link startDeliveryWorker}. */
export interface DeliveryWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  /** Per-attempt request timeout; the job lock must outlive it. */
  timeoutMs: number;
  deps: DeliveryDeps;
  logger: Logger;
}

/**
 * The BullMQ worker of this process. BullMQ's own retries are off (attempts: 1): the schedule,
 * jitter, Retry-After and auto-disable live in {@link deliverOnce}, and a retry moves the same job
 * (job id = delivery id) back to the delayed set with `moveToDelayed` + `DelayedError`, so a
 * delivery is one job for its whole life.
 */
export function startDeliveryWorker(opts: DeliveryWorkerOptions): Worker<DeliveryJob> {
  const worker = new Worker<DeliveryJob>(
    QUEUE_NAME,
    async (job, token) => {
      const step = await deliverOnce(job.data.d, opts.deps);
      if (step.kind === "delay") {
        await job.moveToDelayed(step.at, token);
        throw new DelayedError();
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      lockDuration: Math.max(30_000, opts.timeoutMs + 15_000),
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    },
  );
  let lastError = "";
  worker.on("error", (err) => {
    if (err.message !== lastError) opts.logger.warn({ err: { message: err.message } }, "webhook worker error");
    lastError = err.message;
  });
  worker.on("failed", (job, err) => {
    // A processor error (Postgres down mid-attempt…): the job is dropped; the sweeper re-enqueues the still-pending delivery.
    opts.logger.warn({ deliveryId: job?.data.d, err: { message: err.message } }, "webhook delivery job failed; the sweeper will re-enqueue it");
  });
  return worker;
}
