import { Counter, counter, gauge, Histogram, histogram, type Registry } from "@datahub/runtime";

/** Delivery latency buckets (seconds): receivers answer in ms to the 15 s timeout. */
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** Outcomes of one attempt, the `outcome` label of `datahub_webhook_deliveries_total`. */
export type DeliveryOutcome = "success" | "retry" | "failure" | "gone" | "disabled";

/** The webhooks service's metrics on the runner's registry. */
export interface WebhookMetrics {
  deliveries: Counter<"outcome">;
  duration: Histogram;
  sweeperEnqueued: Counter;
  eventsPurged: Counter;
  published: Counter;
}

/**
 * Creates (or reuses) the webhooks metrics; `depth` feeds `datahub_webhook_queue_depth` when
 * Prometheus scrapes (a failed read reports nothing rather than a stale value).
 */
export function webhookMetrics(registry: Registry, depth: () => Promise<number>): WebhookMetrics {
  gauge(registry, {
    name: "datahub_webhook_queue_depth",
    help: "Webhook delivery jobs waiting, delayed or active in the BullMQ queue.",
    async collect() {
      try {
        this.set(await depth());
      } catch {
        /* Redis down: keep the last value */
      }
    },
  });
  return {
    deliveries: counter(registry, {
      name: "datahub_webhook_deliveries_total",
      help: "Webhook delivery attempts by outcome (success, retry, failure, gone, disabled).",
      labelNames: ["outcome"],
    }),
    duration: histogram(registry, {
      name: "datahub_webhook_delivery_duration_seconds",
      help: "Duration of one webhook delivery attempt (request sent to answer read).",
      buckets: DELIVERY_BUCKETS,
    }),
    eventsPurged: counter(registry, {
      name: "datahub_webhook_events_purged_total",
      help: "Events deleted by retention (DATAHUB_WEBHOOKS_RETENTION_DAYS), with their deliveries and attempts.",
    }),
    sweeperEnqueued: counter(registry, {
      name: "datahub_webhook_sweeper_enqueued_total",
      help: "Deliveries the outbox sweeper enqueued (not queued at publish, or lost from Redis).",
    }),
    published: counter(registry, {
      name: "datahub_webhook_events_published_total",
      help: "Events accepted by Publish (idempotent repeats excluded).",
    }),
  };
}
