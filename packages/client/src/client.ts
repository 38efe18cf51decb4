import createClient from "openapi-fetch";
import type { paths } from "./generated/schema.ts";
import { errorFromResponse, networkError } from "./errors.ts";
import { paginate, type PageIterable } from "./pages.ts";
import { withRetries, type RetryOptions } from "./retry.ts";
import type * as T from "./types.ts";

/** Options of {@link createDataHubClient}. */
export interface DataHubClientOptions {
  /** The edge's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /**
   * An API key (`dh_…`) or the root key (`dhr_…`), sent as `Authorization: Bearer`. Omit it only
   * in a browser signed in to the DataHub console, where the session cookie authenticates (pass
   * the session's CSRF token in `headers` as `x-csrf-token`).
   */
  key?: string;
  /** A `fetch` to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
  /** Retries of 429/503 answers ({@link withRetries}); `false` or `{ attempts: 0 }` turns them off. */
  retries?: RetryOptions | false;
  /** Extra headers on every request (e.g. `x-request-id`, `user-agent`). */
  headers?: Record<string, string>;
}

/** What every openapi-fetch call resolves to. */
type Result<D> = { data?: D; error?: unknown; response: Response };

/**
 * A typed client of the DataHub management API (`/v1`, docs/api/openapi.yaml). Every method
 * resolves with the API's JSON body and rejects with a {@link DataHubError}: the problem+json of a
 * non-2xx answer, or `status` 0 when the edge could not be reached. Lists with cursors are
 * {@link PageIterable}s.
 */
export function createDataHubClient(opts: DataHubClientOptions) {
  const baseUrl = opts.url.replace(/\/+$/, "");
  const base = opts.fetch ?? globalThis.fetch;
  const fetchImpl = opts.retries === false ? base : withRetries(base, opts.retries);
  const api = createClient<paths>({
    baseUrl,
    fetch: (req) => fetchImpl(req),
    headers: { ...(opts.key === undefined ? {} : { authorization: `Bearer ${opts.key}` }), ...opts.headers },
  });

  async function send<D>(call: () => Promise<Result<D>>): Promise<D> {
    let r: Result<D>;
    try {
      r = await call();
    } catch (err) {
      throw networkError(baseUrl, err);
    }
    if (!r.response.ok) throw errorFromResponse(r.response, r.error);
    return r.data as D;
  }
  const none = async (call: () => Promise<Result<unknown>>): Promise<void> => void (await send(call));
  const org = (scope: T.OrgScope = {}) => (scope.orgId === undefined ? {} : { orgId: scope.orgId });

  return {
    orgs: {
      /** `POST /v1/orgs` (root key). */
      create: (body: { name: string }): Promise<T.Org> => send(() => api.POST("/v1/orgs", { body })),
      /** `GET /v1/orgs` (root key): every org, in one answer. */
      list: (): Promise<{ data: T.Org[] }> => send(() => api.GET("/v1/orgs")),
    },
    keys: {
      /** `POST /v1/keys`; the answer's `key` is shown only here. */
      create: (body: T.CreateKeyRequest): Promise<T.KeyWithSecret> => send(() => api.POST("/v1/keys", { body })),
      /** `GET /v1/keys`, page by page. */
      list: (query: T.ListKeysQuery = {}): PageIterable<T.Key> =>
        paginate((cursor) => send(() => api.GET("/v1/keys", { params: { query: { ...query, cursor } } })), query.cursor),
      /** `GET /v1/keys/{id}`. */
      get: (id: string, scope?: T.OrgScope): Promise<T.Key> => send(() => api.GET("/v1/keys/{id}", { params: { path: { id }, query: org(scope) } })),
      /** `PATCH /v1/keys/{id}`: only the fields present change. */
      update: (id: string, patch: T.UpdateKeyRequest, scope?: T.OrgScope): Promise<T.Key> =>
        send(() => api.PATCH("/v1/keys/{id}", { params: { path: { id }, query: org(scope) }, body: patch })),
      /** `POST /v1/keys/{id}/rotate`; the old key keeps working for `gracePeriodSeconds`. */
      rotate: (id: string, body: T.RotateKeyRequest = {}, scope?: T.OrgScope): Promise<T.KeyWithSecret> =>
        send(() => api.POST("/v1/keys/{id}/rotate", { params: { path: { id }, query: org(scope) }, body })),
      /** `DELETE /v1/keys/{id}`. */
      revoke: (id: string, scope?: T.OrgScope): Promise<void> => none(() => api.DELETE("/v1/keys/{id}", { params: { path: { id }, query: org(scope) } })),
    },
    logs: {
      /** `GET /v1/logs`: request records, newest first, page by page. */
      query: (query: T.QueryLogsQuery = {}): PageIterable<T.LogRecord> =>
        paginate((cursor) => send(() => api.GET("/v1/logs", { params: { query: { ...query, cursor } } })), query.cursor),
      /** `GET /v1/logs/{requestId}`: the newest record with that id. */
      get: (requestId: string, scope?: T.OrgScope): Promise<T.LogRecord> =>
        send(() => api.GET("/v1/logs/{requestId}", { params: { path: { requestId }, query: org(scope) } })),
    },
    usage: {
      /** `GET /v1/usage`: dense buckets, oldest first. */
      get: (query: T.UsageQuery = {}): Promise<{ data: T.UsageBucket[] }> => send(() => api.GET("/v1/usage", { params: { query } })),
    },
    webhooks: {
      /** `POST /v1/webhooks`; the answer's `secret` is shown only here. */
      create: (body: T.CreateWebhookEndpointRequest, scope?: T.OrgScope): Promise<T.WebhookEndpointWithSecret> =>
        send(() => api.POST("/v1/webhooks", { params: { query: org(scope) }, body })),
      /** `GET /v1/webhooks`, page by page. */
      list: (query: T.ListWebhooksQuery = {}): PageIterable<T.WebhookEndpoint> =>
        paginate((cursor) => send(() => api.GET("/v1/webhooks", { params: { query: { ...query, cursor } } })), query.cursor),
      /** `GET /v1/webhooks/{id}`. */
      get: (id: string, scope?: T.OrgScope): Promise<T.WebhookEndpoint> =>
        send(() => api.GET("/v1/webhooks/{id}", { params: { path: { id }, query: org(scope) } })),
      /** `PATCH /v1/webhooks/{id}`. */
      update: (id: string, patch: T.UpdateWebhookEndpointRequest, scope?: T.OrgScope): Promise<T.WebhookEndpoint> =>
        send(() => api.PATCH("/v1/webhooks/{id}", { params: { path: { id }, query: org(scope) }, body: patch })),
      /** `DELETE /v1/webhooks/{id}`. */
      delete: (id: string, scope?: T.OrgScope): Promise<void> => none(() => api.DELETE("/v1/webhooks/{id}", { params: { path: { id }, query: org(scope) } })),
      /** `POST /v1/webhooks/{id}/test`: one `webhook.test` event to this endpoint only. */
      test: (id: string, scope?: T.OrgScope): Promise<T.SentTestEvent> =>
        send(() => api.POST("/v1/webhooks/{id}/test", { params: { path: { id }, query: org(scope) } })),
      /** `POST /v1/webhooks/{id}/rotate-secret`; the old secret keeps signing for 24 h. */
      rotateSecret: (id: string, scope?: T.OrgScope): Promise<T.RotatedSecret> =>
        send(() => api.POST("/v1/webhooks/{id}/rotate-secret", { params: { path: { id }, query: org(scope) } })),
      /** `GET /v1/webhooks/{id}/deliveries`: newest first, page by page. */
      deliveries: (id: string, query: T.ListDeliveriesQuery = {}): PageIterable<T.WebhookDelivery> =>
        paginate(
          (cursor) => send(() => api.GET("/v1/webhooks/{id}/deliveries", { params: { path: { id }, query: { ...query, cursor } } })),
          query.cursor,
        ),
      /** `GET /v1/webhooks/{id}/deliveries/{deliveryId}/attempts`: every attempt, oldest first. */
      attempts: (id: string, deliveryId: string, scope?: T.OrgScope): Promise<{ data: T.WebhookAttempt[] }> =>
        send(() => api.GET("/v1/webhooks/{id}/deliveries/{deliveryId}/attempts", { params: { path: { id, deliveryId }, query: org(scope) } })),
      /** `POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry`: schedules a new attempt now. */
      retry: (id: string, deliveryId: string, scope?: T.OrgScope): Promise<void> =>
        none(() => api.POST("/v1/webhooks/{id}/deliveries/{deliveryId}/retry", { params: { path: { id, deliveryId }, query: org(scope) } })),
    },
    routes: {
      /** `GET /v1/routes` (root key or `routes:read`): the proxy routes in force. */
      list: (): Promise<{ data: T.Route[]; source: string | null }> => send(() => api.GET("/v1/routes")),
    },
    events: {
      /** `POST /v1/events`: accepted once durable; the same `idempotencyKey` within 24 h is one event. */
      publish: (body: T.PublishEventRequest, scope?: T.OrgScope): Promise<T.PublishedEvent> =>
        send(() => api.POST("/v1/events", { params: { query: org(scope) }, body })),
    },
  };
}

/** The client {@link createDataHubClient} returns. */
export type DataHubClient = ReturnType<typeof createDataHubClient>;
