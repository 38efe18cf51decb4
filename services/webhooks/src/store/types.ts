/** Rows and the store seam of the webhooks service (Postgres schema `webhooks`). */

export type EndpointStatus = "enabled" | "disabled";
export type DeliveryStatus = "pending" | "succeeded" | "failed";

/** An endpoint as stored, secrets included: never hand this to a log or a list answer. */
export interface EndpointRow {
  id: string;
  orgId: string;
  url: string;
  events: string[];
  description: string;
  status: EndpointStatus;
  disabledReason: string;
  rateLimitPerSecond: number;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewEndpoint {
  id: string;
  orgId: string;
  url: string;
  events: string[];
  description: string;
  rateLimitPerSecond: number;
  secret: string;
}

/** Fields of UpdateEndpoint; undefined keeps the value. */
export interface EndpointPatch {
  url?: string;
  events?: string[];
  description?: string;
  rateLimitPerSecond?: number;
  status?: EndpointStatus;
  disabledReason?: string;
}

export interface NewEvent {
  id: string;
  orgId: string;
  type: string;
  /** The event's data as JSON text. */
  payload: string;
  idempotencyKey?: string;
  traceparent: string;
}

export interface PublishResult {
  eventId: string;
  duplicate: boolean;
  deliveryIds: string[];
}

export interface DeliveryRow {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number;
  lastError: string;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

export interface AttemptRow {
  number: number;
  startedAt: Date;
  statusCode: number;
  durationMs: number;
  responseExcerpt: string;
  error: string;
}

/** Everything one delivery attempt needs, read in one query. */
export interface AttemptContext {
  deliveryId: string;
  status: DeliveryStatus;
  attempts: number;
  event: { id: string; type: string; payload: string; createdAt: Date; traceparent: string };
  endpoint: Pick<EndpointRow, "id" | "orgId" | "url" | "status" | "rateLimitPerSecond" | "secret" | "previousSecret" | "previousSecretExpiresAt" | "failingSince">;
}

/** What an attempt did, to record. */
export interface AttemptOutcome {
  deliveryId: string;
  endpointId: string;
  attempt: AttemptRow;
  /** The delivery's state after this attempt. */
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  /** Update the endpoint's failing-since: null on success, the attempt start on a first failure. */
  failingSince?: Date | null;
}

export type RetryResult = "scheduled" | "not_found" | "endpoint_disabled";

/** Persistence of the webhooks service; {@link PgWebhookStore} is the real one. */
export interface WebhookStore {
  createEndpoint(e: NewEndpoint): Promise<EndpointRow>;
  getEndpoint(orgId: string, id: string): Promise<EndpointRow | undefined>;
  /** Endpoints of an org in id (creation) order, after `afterId`. */
  listEndpoints(orgId: string, limit: number, afterId?: string): Promise<EndpointRow[]>;
  /** Applies `patch`; disabling fails the endpoint's pending deliveries in the same transaction. */
  updateEndpoint(orgId: string, id: string, patch: EndpointPatch): Promise<EndpointRow | undefined>;
  deleteEndpoint(orgId: string, id: string): Promise<boolean>;
  /** Makes `secret` current and keeps the old one signing until now + graceMs. */
  rotateSecret(orgId: string, id: string, secret: string, graceMs: number): Promise<Date | undefined>;
  /** The transactional outbox: the event and one pending delivery per matching enabled endpoint, atomically. */
  publish(e: NewEvent, patterns: string[]): Promise<PublishResult>;
  /** The same outbox write with one delivery, to `endpointId` only, whatever its patterns (test events); it must be enabled. */
  publishTo(e: NewEvent, endpointId: string): Promise<PublishResult>;
  markEnqueued(deliveryIds: string[]): Promise<void>;
  /** Deliveries of one endpoint, newest first, before `beforeId`. Undefined when the endpoint is not the org's. */
  listDeliveries(orgId: string, endpointId: string, status: DeliveryStatus | undefined, limit: number, beforeId?: string): Promise<DeliveryRow[] | undefined>;
  listAttempts(orgId: string, endpointId: string, deliveryId: string): Promise<AttemptRow[] | undefined>;
  /** Makes a delivery pending and due now (not yet enqueued). */
  retryDelivery(orgId: string, endpointId: string, deliveryId: string): Promise<RetryResult>;
  loadForAttempt(deliveryId: string): Promise<AttemptContext | undefined>;
  recordAttempt(o: AttemptOutcome): Promise<void>;
  /**
   * Disables an enabled endpoint (`gone`, `failing`) and fails its pending deliveries.
   * @returns the endpoint when this call disabled it, undefined when it already was (or is gone).
   */
  disableEndpoint(id: string, reason: string): Promise<EndpointRow | undefined>;
  /**
   * Pending deliveries due now that were never queued, or were queued `overdueMs` ago and are
   * `overdueMs` past due (lost from Redis). Enqueueing refreshes `enqueued_at`, so each pass moves on.
   */
  dueDeliveries(overdueMs: number, limit: number): Promise<string[]>;
  /**
   * Retention: deletes up to `limit` events created before `before` that have no pending delivery,
   * with their deliveries and attempts (ON DELETE CASCADE). Resolves with the events deleted.
   */
  purgeEvents(before: Date, limit: number): Promise<number>;
}
