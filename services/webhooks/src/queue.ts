import { Queue, type ConnectionOptions } from "bullmq";

/** Name of the BullMQ queue of deliveries. */
export const QUEUE_NAME = "deliveries";

/** Job data: only the delivery id; everything else (and the secrets) stays in Postgres. */
export interface DeliveryJob {
  d: string;
}

/**
 * The producer side of the delivery queue. Job id = delivery id, so adding a delivery that is
 * already queued (sweeper after a crash, a retry racing the publish) is a no-op in BullMQ.
 */
export class DeliveryQueue {
  readonly queue: Queue<DeliveryJob>;

  constructor(connection: ConnectionOptions, prefix: string) {
    this.queue = new Queue<DeliveryJob>(QUEUE_NAME, {
      connection,
      prefix,
      // Completed/failed jobs are dropped at once: Postgres keeps the history, and a freed job id
      // lets a manual retry enqueue the same delivery again.
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
    });
    this.queue.on("error", () => {}); // connection errors surface through readiness and the sweeper
  }

  /** Enqueues deliveries due now, in one round trip (addBulk). */
  async enqueue(deliveryIds: string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.queue.addBulk(deliveryIds.map((id) => ({ name: "deliver", data: { d: id }, opts: { jobId: id } })));
  }

  /** Makes a delivery run now: promotes its delayed job, or enqueues it when Redis has none. */
  async runNow(deliveryId: string): Promise<void> {
    const job = await this.queue.getJob(deliveryId);
    if (job && (await job.isDelayed())) {
      await job.promote().catch(() => {}); // promoted or picked up meanwhile: either way it runs
      return;
    }
    if (!job) await this.enqueue([deliveryId]);
  }

  /** Jobs waiting, delayed or active (the queue depth gauge). */
  async depth(): Promise<number> {
    const c = await this.queue.getJobCounts("waiting", "delayed", "active", "prioritized");
    return Object.values(c).reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
