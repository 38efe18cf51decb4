/**
 * protobuf → JSON shapes of `/v1/webhooks` (docs/api/openapi.yaml): camelCase, ISO-8601 timestamps,
 * lowercase statuses, `null` for absent values. No shape here carries a signing secret: the
 * secret is added only by the create and rotate handlers.
 */
import { webhooks } from "@datahub/proto";
import { isoOrNull, nullIfEmpty } from "./serialize";

const nullIfZero = (n: number): number | null => (n === 0 ? null : n);

/** Endpoint status as JSON. */
type EndpointStatusJson = "enabled" | "disabled";

/** Lowercase endpoint status; an unset status reads as enabled (the service default). */
function endpointStatusJson(s: webhooks.EndpointStatus): EndpointStatusJson {
  return s === webhooks.EndpointStatus.DISABLED ? "disabled" : "enabled";
}

const DELIVERY_STATUS: Record<number, DeliveryStatusJson> = {
  [webhooks.DeliveryStatus.PENDING]: "pending",
  [webhooks.DeliveryStatus.SUCCEEDED]: "succeeded",
  [webhooks.DeliveryStatus.FAILED]: "failed",
};

/** Delivery status as JSON. */
export type DeliveryStatusJson = "pending" | "succeeded" | "failed";

/** JSON → proto delivery status (the `status` filter). */
export const DELIVERY_STATUS_FILTER: Record<DeliveryStatusJson, webhooks.DeliveryStatus> = {
  pending: webhooks.DeliveryStatus.PENDING,
  succeeded: webhooks.DeliveryStatus.SUCCEEDED,
  failed: webhooks.DeliveryStatus.FAILED,
};

/** JSON shape of a webhook endpoint (never with its secret). */
export interface EndpointJson {
  id: string;
  orgId: string;
  url: string;
  events: string[];
  description: string | null;
  status: EndpointStatusJson;
  /** Why it is disabled (`gone`, `failing`, `user`); null while enabled. */
  disabledReason: string | null;
  /** null = the service default. */
  rateLimitPerSecond: number | null;
  createdAt: string | null;
  updatedAt: string | null;
}

/** An endpoint without its secret (GET, PATCH, list). */
export function endpointJson(e: webhooks.Endpoint): EndpointJson {
  const status = endpointStatusJson(e.status);
  return {
    id: e.id,
    orgId: e.orgId,
    url: e.url,
    events: [...e.events],
    description: nullIfEmpty(e.description),
    status,
    disabledReason: status === "disabled" ? nullIfEmpty(e.disabledReason) : null,
    rateLimitPerSecond: nullIfZero(e.rateLimitPerSecond),
    createdAt: isoOrNull(e.createdAt),
    updatedAt: isoOrNull(e.updatedAt),
  };
}

/** A new endpoint with its signing secret: the only response besides rotate-secret that carries it. */
export function endpointWithSecretJson(e: webhooks.Endpoint, secret: string): EndpointJson & { secret: string } {
  return { ...endpointJson(e), secret };
}

/** JSON shape of a delivery (docs/api/openapi.yaml). */
export interface DeliveryJson {
  id: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatusJson;
  attempts: number;
  /** null when no attempt got an HTTP answer yet. */
  lastStatusCode: number | null;
  lastError: string | null;
  /** null when no further attempt is scheduled. */
  nextAttemptAt: string | null;
  createdAt: string | null;
}

/** One delivery. */
export function deliveryJson(d: webhooks.Delivery): DeliveryJson {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    status: DELIVERY_STATUS[d.status] ?? "pending",
    attempts: d.attempts,
    lastStatusCode: nullIfZero(d.lastStatusCode),
    lastError: nullIfEmpty(d.lastError),
    nextAttemptAt: isoOrNull(d.nextAttemptAt),
    createdAt: isoOrNull(d.createdAt),
  };
}

/** JSON shape of one delivery attempt (docs/api/openapi.yaml). */
export interface AttemptJson {
  number: number;
  startedAt: string | null;
  /** null when the attempt got no HTTP answer (see `error`). */
  statusCode: number | null;
  durationMs: number;
  /** The first 4 KiB of the receiver's answer. */
  responseExcerpt: string | null;
  error: string | null;
}

/** One attempt. */
export function attemptJson(a: webhooks.Attempt): AttemptJson {
  return {
    number: a.number,
    startedAt: isoOrNull(a.startedAt),
    statusCode: nullIfZero(a.statusCode),
    durationMs: a.durationMs,
    responseExcerpt: nullIfEmpty(a.responseExcerpt),
    error: nullIfEmpty(a.error),
  };
}
