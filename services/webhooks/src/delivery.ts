import type { Logger } from "@datahub/runtime";
import type { WebhookMetrics } from "./metrics";
import type { DeliveryRateLimiter } from "./rate-limiter";
import { nextDelayMs, parseRetryAfter, type RetryPolicy } from "./retry-policy";
import type { SendResult, WebhookSender } from "./sender";
import { USER_AGENT } from "./sender";
import { signatureHeader } from "./signing";
import type { AttemptContext, EndpointRow, WebhookStore } from "./store/types";

/** What the queue should do with a delivery job after one run. */
export type DeliveryStep = { kind: "done" } | { kind: "delay"; at: number };

/** Everything {@link deliverOnce} needs. */
export interface DeliveryDeps {
  store: WebhookStore;
  sender: Pick<WebhookSender, "send">;
  limiter: DeliveryRateLimiter;
  policy: RetryPolicy;
  /** An endpoint failing continuously this long is disabled (`failing`). */
  disableAfterMs: number;
  /** Rate when an endpoint sets 0; 0 = unlimited. */
  defaultRatePerSecond: number;
  metrics: WebhookMetrics;
  logger: Logger;
  /** Called after this process disabled an endpoint (emits `webhook.endpoint.disabled`). */
  onDisabled(endpoint: EndpointRow, reason: "gone" | "failing"): Promise<void>;
  now?: () => number;
}

/** The delivered body: `{id, type, timestamp, data}`; `data` is the stored JSON text as is. */
export function deliveryBody(ctx: AttemptContext): string {
  const e = ctx.event;
  return `{"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"timestamp":${JSON.stringify(e.createdAt.toISOString())},"data":${e.payload}}`;
}

/** Standard Webhooks headers of one attempt. `webhook-id` is the event id: the same on every retry. */
export function deliveryHeaders(ctx: AttemptContext, body: string, nowMs: number): Record<string, string> {
  const ep = ctx.endpoint;
  const timestamp = Math.floor(nowMs / 1000);
  const previous = ep.previousSecret && ep.previousSecretExpiresAt && ep.previousSecretExpiresAt.getTime() > nowMs ? ep.previousSecret : undefined;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": ctx.event.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatureHeader({ current: ep.secret, previous }, ctx.event.id, timestamp, body),
  };
  if (ctx.event.traceparent) headers.traceparent = ctx.event.traceparent;
  return headers;
}

const isSuccess = (r: SendResult) => r.statusCode >= 200 && r.statusCode < 300;

function errorOf(r: SendResult): string {
  if (r.error) return r.error;
  return isSuccess(r) ? "" : `HTTP ${r.statusCode}`;
}

/**
 * Runs one attempt of a delivery: reads its state from Postgres (the source of truth), honours
 * the endpoint's rate, sends, records the attempt and decides what comes next (done, or delay to
 * a retry time). A delivery that is no longer pending is a no-op, which makes duplicate jobs
 * (at-least-once queue, sweeper re-enqueues) harmless.
 */
export async function deliverOnce(deliveryId: string, deps: DeliveryDeps): Promise<DeliveryStep> {
  const now = deps.now ?? Date.now;
  const ctx = await deps.store.loadForAttempt(deliveryId);
  if (!ctx || ctx.status !== "pending" || ctx.endpoint.status !== "enabled") return { kind: "done" };
  const ep = ctx.endpoint;

  const rate = ep.rateLimitPerSecond || deps.defaultRatePerSecond;
  const waitMs = await deps.limiter.take(ep.id, rate);
  if (waitMs > 0) return { kind: "delay", at: now() + waitMs };

  const number = ctx.attempts + 1;
  const startedAt = new Date(now());
  const body = deliveryBody(ctx);
  const result = await deps.sender.send(ep.url, deliveryHeaders(ctx, body, startedAt.getTime()), body);
  deps.metrics.duration.observe(result.durationMs / 1000);
  const attempt = {
    number,
    startedAt,
    statusCode: result.statusCode,
    durationMs: result.durationMs,
    responseExcerpt: result.excerpt,
    error: errorOf(result),
  };
  const base = { deliveryId, endpointId: ep.id, attempt };

  if (isSuccess(result)) {
    await deps.store.recordAttempt({ ...base, status: "succeeded", nextAttemptAt: null, failingSince: ep.failingSince ? null : undefined });
    deps.metrics.deliveries.inc({ outcome: "success" });
    return { kind: "done" };
  }

  if (result.statusCode === 410) {
    await deps.store.recordAttempt({ ...base, status: "failed", nextAttemptAt: null });
    deps.metrics.deliveries.inc({ outcome: "gone" });
    await disable(deps, ep.id, "gone");
    return { kind: "done" };
  }

  const failingSince = ep.failingSince ?? startedAt;
  if (startedAt.getTime() - failingSince.getTime() >= deps.disableAfterMs) {
    await deps.store.recordAttempt({ ...base, status: "failed", nextAttemptAt: null, failingSince });
    deps.metrics.deliveries.inc({ outcome: "disabled" });
    await disable(deps, ep.id, "failing");
    return { kind: "done" };
  }

  const honoursRetryAfter = result.statusCode === 429 || result.statusCode === 503;
  const delay = nextDelayMs(deps.policy, number, honoursRetryAfter ? parseRetryAfter(result.retryAfter, startedAt.getTime()) : undefined);
  const touch = ep.failingSince ? undefined : failingSince;
  if (delay === undefined) {
    await deps.store.recordAttempt({ ...base, status: "failed", nextAttemptAt: null, failingSince: touch });
    deps.metrics.deliveries.inc({ outcome: "failure" });
    return { kind: "done" };
  }
  const at = now() + delay;
  await deps.store.recordAttempt({ ...base, status: "pending", nextAttemptAt: new Date(at), failingSince: touch });
  deps.metrics.deliveries.inc({ outcome: "retry" });
  return { kind: "delay", at };
}

async function disable(deps: DeliveryDeps, endpointId: string, reason: "gone" | "failing"): Promise<void> {
  const endpoint = await deps.store.disableEndpoint(endpointId, reason);
  if (!endpoint) return; // already disabled (by the user, or by another worker)
  deps.logger.warn({ endpointId, orgId: endpoint.orgId, reason }, "webhook endpoint disabled");
  await deps.onDisabled(endpoint, reason).catch((err: Error) =>
    deps.logger.error({ endpointId, err: { message: err.message } }, "could not publish webhook.endpoint.disabled"),
  );
}
