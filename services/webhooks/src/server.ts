import { toJson, type MessageInitShape } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { timestampFromDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import { decodeCursor, encodeCursor, GrpcStatus, newId, pgToRpcError, RpcError, withTimeout, type Logger, type ServiceImpl } from "@datahub/runtime";
import { webhooks } from "@datahub/proto";
import type { EventPublisher } from "./publisher";
import type { DeliveryQueue } from "./queue";
import { newSecret } from "./signing";
import { checkEndpointUrl, SsrfError, type AllowList } from "./ssrf";
import type { DeliveryRow, DeliveryStatus, EndpointRow, EndpointStatus, WebhookStore } from "./store/types";
import { invalid, isUuid, MAX_URL_LENGTH, requireOrgId, validateDescription, validatePatterns, validateRate } from "./validation";

/** Method table of datahub.webhooks.v1.WebhookService. */
export type WebhookMethods = typeof webhooks.WebhookService extends GenService<infer T> ? T : never;

/** How long the previous secret keeps signing after a rotation (docs/reference/http-api.md, "Endpoints"). */
export const SECRET_GRACE_MS = 24 * 3600 * 1000;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;
const DNS_TIMEOUT_MS = 5000;

/** Options of {@link createWebhookService}. */
export interface WebhookServiceOptions {
  store: WebhookStore;
  publisher: EventPublisher;
  queue: Pick<DeliveryQueue, "runNow">;
  allow: AllowList;
  maxRatePerSecond: number;
  /** A store call slower than this fails with UNAVAILABLE. */
  timeoutMs: number;
  logger: Logger;
  /** DNS resolution for the create/update SSRF check (tests). */
  resolve?: (host: string) => Promise<string[]>;
}

const STATUS_TO_WIRE: Record<EndpointStatus, webhooks.EndpointStatus> = {
  enabled: webhooks.EndpointStatus.ENABLED,
  disabled: webhooks.EndpointStatus.DISABLED,
};
const DELIVERY_TO_WIRE: Record<DeliveryStatus, webhooks.DeliveryStatus> = {
  pending: webhooks.DeliveryStatus.PENDING,
  succeeded: webhooks.DeliveryStatus.SUCCEEDED,
  failed: webhooks.DeliveryStatus.FAILED,
};
const DELIVERY_FROM_WIRE: Partial<Record<webhooks.DeliveryStatus, DeliveryStatus>> = {
  [webhooks.DeliveryStatus.PENDING]: "pending",
  [webhooks.DeliveryStatus.SUCCEEDED]: "succeeded",
  [webhooks.DeliveryStatus.FAILED]: "failed",
};

/** An endpoint as the wire message: never the secrets. */
export function toWireEndpoint(e: EndpointRow): MessageInitShape<typeof webhooks.EndpointSchema> {
  return {
    id: e.id,
    orgId: e.orgId,
    url: e.url,
    events: e.events,
    description: e.description,
    status: STATUS_TO_WIRE[e.status],
    rateLimitPerSecond: e.rateLimitPerSecond,
    createdAt: timestampFromDate(e.createdAt),
    updatedAt: timestampFromDate(e.updatedAt),
    disabledReason: e.disabledReason,
  };
}

function toWireDelivery(d: DeliveryRow): MessageInitShape<typeof webhooks.DeliverySchema> {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: DELIVERY_TO_WIRE[d.status],
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt ? timestampFromDate(d.nextAttemptAt) : undefined,
    createdAt: timestampFromDate(d.createdAt),
  };
}

const notFound = (what: string) => new RpcError(GrpcStatus.NOT_FOUND, `${what} not found`);

function pageLimit(limit: number): number {
  return limit === 0 ? DEFAULT_PAGE : Math.min(limit, MAX_PAGE);
}

function cursorId(cursor: string): string | undefined {
  if (!cursor) return undefined;
  const tuple = decodeCursor(cursor, 1);
  const id = tuple?.[0];
  if (typeof id !== "string" || !isUuid(id)) throw invalid("cursor", "not a cursor returned by this list");
  return id;
}

/**
 * The WebhookService RPC handlers: validation (INVALID_ARGUMENT naming the field, SSRF checks on
 * URLs), org isolation (another org's object is NOT_FOUND), Postgres outages as UNAVAILABLE.
 * Secrets appear only in the Create/Rotate answers; they are never logged.
 */
export function createWebhookService(opts: WebhookServiceOptions): ServiceImpl<WebhookMethods> {
  const { store } = opts;
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(fn(), opts.timeoutMs);
    } catch (err) {
      throw pgToRpcError(err, "webhooks");
    }
  };
  const checkUrl = async (url: string): Promise<string> => {
    if (!url) throw invalid("url", "is required");
    if (url.length > MAX_URL_LENGTH) throw invalid("url", `at most ${MAX_URL_LENGTH} characters`);
    try {
      return (await withTimeout(checkEndpointUrl(url, { allow: opts.allow, resolve: opts.resolve }), DNS_TIMEOUT_MS)).toString();
    } catch (err) {
      throw invalid("url", err instanceof SsrfError ? err.message : "host does not resolve");
    }
  };
  const endpointOf = async (orgId: string, id: string): Promise<EndpointRow> => {
    const e = isUuid(id) ? await call(() => store.getEndpoint(orgId, id)) : undefined;
    if (!e) throw notFound("endpoint");
    return e;
  };

  return {
    async createEndpoint(req) {
      const orgId = requireOrgId(req.orgId);
      const events = validatePatterns(req.events);
      const description = validateDescription(req.description);
      const rate = validateRate(req.rateLimitPerSecond, opts.maxRatePerSecond);
      const url = await checkUrl(req.url);
      const secret = newSecret();
      const row = await call(() => store.createEndpoint({ id: newId(), orgId, url, events, description, rateLimitPerSecond: rate, secret }));
      opts.logger.info({ orgId, endpointId: row.id }, "webhook endpoint created");
      return { endpoint: toWireEndpoint(row), secret };
    },

    async getEndpoint(req) {
      return { endpoint: toWireEndpoint(await endpointOf(requireOrgId(req.orgId), req.id)) };
    },

    async listEndpoints(req) {
      const orgId = requireOrgId(req.orgId);
      const limit = pageLimit(req.limit);
      const rows = await call(() => store.listEndpoints(orgId, limit + 1, cursorId(req.cursor)));
      const page = rows.slice(0, limit);
      return { endpoints: page.map(toWireEndpoint), nextCursor: rows.length > limit ? encodeCursor([page.at(-1)!.id]) : "" };
    },

    async updateEndpoint(req) {
      const orgId = requireOrgId(req.orgId);
      if (!isUuid(req.id)) throw notFound("endpoint");
      const events = req.setEvents ? validatePatterns(req.events) : undefined;
      const description = req.description === undefined ? undefined : validateDescription(req.description);
      const rate = req.rateLimitPerSecond === undefined ? undefined : validateRate(req.rateLimitPerSecond, opts.maxRatePerSecond);
      const status =
        req.status === webhooks.EndpointStatus.ENABLED ? "enabled" : req.status === webhooks.EndpointStatus.DISABLED ? "disabled" : undefined;
      const url = req.url === undefined ? undefined : await checkUrl(req.url);
      const row = await call(() =>
        store.updateEndpoint(orgId, req.id, { url, events, description, rateLimitPerSecond: rate, status, disabledReason: "user" }),
      );
      if (!row) throw notFound("endpoint");
      return { endpoint: toWireEndpoint(row) };
    },

    async deleteEndpoint(req) {
      const orgId = requireOrgId(req.orgId);
      const deleted = isUuid(req.id) && (await call(() => store.deleteEndpoint(orgId, req.id)));
      if (!deleted) throw notFound("endpoint");
      return {};
    },

    async rotateSecret(req) {
      const orgId = requireOrgId(req.orgId);
      if (!isUuid(req.id)) throw notFound("endpoint");
      const secret = newSecret();
      const expiresAt = await call(() => store.rotateSecret(orgId, req.id, secret, SECRET_GRACE_MS));
      if (!expiresAt) throw notFound("endpoint");
      return { secret, previousSecretExpiresAt: timestampFromDate(expiresAt) };
    },

    async publish(req) {
      const orgId = requireOrgId(req.orgId);
      const data = req.data ? toJson(ValueSchema, req.data) : null;
      if (req.endpointId) {
        // A targeted (test) event: the endpoint must be the org's and enabled, or nothing is stored.
        const e = isUuid(req.endpointId) ? await call(() => store.getEndpoint(orgId, req.endpointId)) : undefined;
        if (!e) throw notFound("endpoint");
        if (e.status !== "enabled") throw new RpcError(GrpcStatus.FAILED_PRECONDITION, "endpoint is disabled; enable it (PATCH status \"enabled\") before sending it events");
      }
      const r = await call(() =>
        opts.publisher.publish({ orgId, type: req.type, data, idempotencyKey: req.idempotencyKey, traceparent: req.traceparent, endpointId: req.endpointId || undefined }),
      );
      return { eventId: r.eventId, deliveries: r.deliveryIds.length, duplicate: r.duplicate, deliveryIds: r.deliveryIds };
    },

    async listDeliveries(req) {
      const orgId = requireOrgId(req.orgId);
      if (!isUuid(req.endpointId)) throw notFound("endpoint");
      const limit = pageLimit(req.limit);
      const status = DELIVERY_FROM_WIRE[req.status];
      const rows = await call(() => store.listDeliveries(orgId, req.endpointId, status, limit + 1, cursorId(req.cursor)));
      if (!rows) throw notFound("endpoint");
      const page = rows.slice(0, limit);
      return { deliveries: page.map(toWireDelivery), nextCursor: rows.length > limit ? encodeCursor([page.at(-1)!.id]) : "" };
    },

    async listAttempts(req) {
      const orgId = requireOrgId(req.orgId);
      if (!isUuid(req.endpointId) || !isUuid(req.deliveryId)) throw notFound("delivery");
      const rows = await call(() => store.listAttempts(orgId, req.endpointId, req.deliveryId));
      if (!rows) throw notFound("delivery");
      return {
        attempts: rows.map((a) => ({
          number: a.number,
          startedAt: timestampFromDate(a.startedAt),
          statusCode: a.statusCode,
          durationMs: a.durationMs,
          responseExcerpt: a.responseExcerpt,
          error: a.error,
        })),
      };
    },

    async retryDelivery(req) {
      const orgId = requireOrgId(req.orgId);
      if (!isUuid(req.endpointId) || !isUuid(req.deliveryId)) throw notFound("delivery");
      const r = await call(() => store.retryDelivery(orgId, req.endpointId, req.deliveryId));
      if (r === "not_found") throw notFound("delivery");
      if (r === "endpoint_disabled") throw new RpcError(GrpcStatus.FAILED_PRECONDITION, "endpoint is disabled; enable it before retrying");
      // Best effort: when Redis cannot take it now, the sweeper enqueues the (due, un-enqueued) row.
      await withTimeout(opts.queue.runNow(req.deliveryId), 1000).catch((err: Error) =>
        opts.logger.warn({ deliveryId: req.deliveryId, err: { message: err.message } }, "retry not enqueued now; the sweeper will"),
      );
      return {};
    },
  };
}
