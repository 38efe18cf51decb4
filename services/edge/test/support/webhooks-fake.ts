/**
 * An in-memory WebhookService served over REAL gRPC on 127.0.0.1 (the runtime's GrpcHost), for
 * the edge's `/v1/webhooks` tests and for the system-event publishers. It behaves like the
 * service where callers depend on it: every call is scoped by `orgId` (another org's object is
 * NOT_FOUND), bad input is INVALID_ARGUMENT naming the field, publishes fan out to enabled
 * endpoints whose patterns match and dedupe on the idempotency key. `failNext` injects a status;
 * `stop()`/`start()` take the server down and bring it back on the same port.
 */
import { randomBytes } from "node:crypto";
import { create, toJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { webhooks } from "@datahub/proto";
import { GrpcHost, GrpcStatus, Registry, RpcError, eventMatches, newId, type HandlerContext, type Logger, type ServiceImpl } from "@datahub/runtime";
import { captureLogger, TEST_INTERNAL_TOKEN } from "@datahub/runtime/testing";
import type { WebhookMethods } from "../../src/api";

/** One accepted publish, as the fake stored it. */
export interface PublishedEvent {
  id: string;
  orgId: string;
  type: string;
  data: JsonValue;
  idempotencyKey: string;
  traceparent: string;
}

interface StoredEndpoint {
  endpoint: webhooks.Endpoint;
  secret: string;
}

const newSecret = () => "whsec_" + randomBytes(24).toString("base64");
const invalid = (field: string, msg: string) => new RpcError(GrpcStatus.INVALID_ARGUMENT, `${field}: ${msg}`);
const missing = (what: string) => new RpcError(GrpcStatus.NOT_FOUND, `${what} not found`);

/** The fake's state and behaviour (transport-free). */
export class FakeWebhooks {
  readonly endpoints = new Map<string, StoredEndpoint>();
  readonly deliveries = new Map<string, webhooks.Delivery>();
  readonly attempts = new Map<string, webhooks.Attempt[]>();
  readonly events: PublishedEvent[] = [];
  readonly calls: Array<{ method: string; req: Record<string, unknown>; metadata: Record<string, string> }> = [];
  /** Every secret ever handed out (to assert none leaks). */
  readonly secrets: string[] = [];
  private readonly failures = new Map<string, RpcError>();
  private seq = 0;

  /** The next call of `method` (or of any method, `*`) fails with this gRPC status. */
  failNext(method: keyof WebhookMethods | "*", code: GrpcStatus, details = "injected failure"): void {
    this.failures.set(method, new RpcError(code, details));
  }

  /** Adds a delivery (and optional attempts) for an endpoint directly (test setup). */
  seedDelivery(endpointId: string, init: MessageInitShape<typeof webhooks.DeliverySchema> = {}, attempts: Array<MessageInitShape<typeof webhooks.AttemptSchema>> = []): webhooks.Delivery {
    const d = create(webhooks.DeliverySchema, {
      id: newId(),
      endpointId,
      eventId: newId(),
      eventType: "order.created",
      status: webhooks.DeliveryStatus.PENDING,
      createdAt: timestampFromMs(Date.now() + this.seq++),
      ...init,
    });
    this.deliveries.set(d.id, d);
    this.attempts.set(d.id, attempts.map((a, i) => create(webhooks.AttemptSchema, { number: i + 1, startedAt: timestampFromMs(Date.now()), ...a })));
    return d;
  }

  private endpointOf(orgId: string, id: string): StoredEndpoint {
    const e = this.endpoints.get(id);
    if (!e || e.endpoint.orgId !== orgId) throw missing("endpoint");
    return e;
  }

  private deliveryOf(orgId: string, endpointId: string, id: string): webhooks.Delivery {
    this.endpointOf(orgId, endpointId);
    const d = this.deliveries.get(id);
    if (!d || d.endpointId !== endpointId) throw missing("delivery");
    return d;
  }

  private checkUrl(url: string): void {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw invalid("url", "must be an http(s) URL");
    }
    // Stands in for the service's SSRF guard.
    if (u.hostname === "169.254.169.254" || u.hostname === "localhost") throw invalid("url", "resolves to a private or loopback address");
  }

  private issue(secret: string): string {
    this.secrets.push(secret);
    return secret;
  }

  /** The service implementation the gRPC server runs. */
  impl(): ServiceImpl<WebhookMethods> {
    const impl: ServiceImpl<WebhookMethods> = {
      createEndpoint: async (req) => {
        this.checkUrl(req.url);
        if (req.events.length === 0) throw invalid("events", "must not be empty");
        const now = timestampFromMs(Date.now() + this.seq++);
        const endpoint = create(webhooks.EndpointSchema, {
          id: newId(),
          orgId: req.orgId,
          url: req.url,
          events: req.events,
          description: req.description,
          rateLimitPerSecond: req.rateLimitPerSecond,
          status: webhooks.EndpointStatus.ENABLED,
          createdAt: now,
          updatedAt: now,
        });
        const secret = this.issue(newSecret());
        this.endpoints.set(endpoint.id, { endpoint, secret });
        return { endpoint, secret };
      },
      getEndpoint: async (req) => ({ endpoint: this.endpointOf(req.orgId, req.id).endpoint }),
      listEndpoints: async (req) => {
        const all = [...this.endpoints.values()].map((e) => e.endpoint).filter((e) => e.orgId === req.orgId).sort((a, b) => (a.id < b.id ? -1 : 1));
        const start = req.cursor ? all.findIndex((e) => e.id === req.cursor) + 1 : 0;
        if (req.cursor && start === 0) throw invalid("cursor", "is not valid");
        const limit = req.limit || 50;
        const page = all.slice(start, start + limit);
        return { endpoints: page, nextCursor: start + limit < all.length ? page[page.length - 1]!.id : "" };
      },
      updateEndpoint: async (req) => {
        const { endpoint: e } = this.endpointOf(req.orgId, req.id);
        if (req.url !== undefined) {
          this.checkUrl(req.url);
          e.url = req.url;
        }
        if (req.setEvents) {
          if (req.events.length === 0) throw invalid("events", "must not be empty");
          e.events = [...req.events];
        }
        if (req.description !== undefined) e.description = req.description;
        if (req.rateLimitPerSecond !== undefined) e.rateLimitPerSecond = req.rateLimitPerSecond;
        if (req.status === webhooks.EndpointStatus.DISABLED) {
          e.status = req.status;
          e.disabledReason = "user";
        } else if (req.status === webhooks.EndpointStatus.ENABLED) {
          e.status = req.status;
          e.disabledReason = "";
        }
        e.updatedAt = timestampFromMs(Date.now());
        return { endpoint: e };
      },
      deleteEndpoint: async (req) => {
        this.endpointOf(req.orgId, req.id);
        this.endpoints.delete(req.id);
        return {};
      },
      rotateSecret: async (req) => {
        const e = this.endpointOf(req.orgId, req.id);
        e.secret = this.issue(newSecret());
        return { secret: e.secret, previousSecretExpiresAt: timestampFromMs(Date.now() + 86_400_000) };
      },
      publish: async (req) => {
        if (!req.orgId) throw invalid("orgId", "is required");
        if (!req.type) throw invalid("type", "is required");
        const dup = req.idempotencyKey ? this.events.find((e) => e.orgId === req.orgId && e.idempotencyKey === req.idempotencyKey) : undefined;
        if (dup) return { eventId: dup.id, deliveries: 0, duplicate: true };
        const ev: PublishedEvent = {
          id: newId(),
          orgId: req.orgId,
          type: req.type,
          data: req.data ? toJson(ValueSchema, req.data) : null,
          idempotencyKey: req.idempotencyKey,
          traceparent: req.traceparent,
        };
        this.events.push(ev);
        let n = 0;
        for (const { endpoint } of this.endpoints.values()) {
          if (endpoint.orgId !== req.orgId || endpoint.status !== webhooks.EndpointStatus.ENABLED) continue;
          if (!endpoint.events.some((p) => eventMatches(p, req.type))) continue;
          this.seedDelivery(endpoint.id, { eventId: ev.id, eventType: req.type });
          n++;
        }
        return { eventId: ev.id, deliveries: n, duplicate: false };
      },
      listDeliveries: async (req) => {
        this.endpointOf(req.orgId, req.endpointId);
        const all = [...this.deliveries.values()]
          .filter((d) => d.endpointId === req.endpointId && (!req.status || d.status === req.status))
          .sort((a, b) => (a.id < b.id ? 1 : -1));
        const start = req.cursor ? all.findIndex((d) => d.id === req.cursor) + 1 : 0;
        if (req.cursor && start === 0) throw invalid("cursor", "is not valid");
        const limit = req.limit || 50;
        const page = all.slice(start, start + limit);
        return { deliveries: page, nextCursor: start + limit < all.length ? page[page.length - 1]!.id : "" };
      },
      listAttempts: async (req) => {
        const d = this.deliveryOf(req.orgId, req.endpointId, req.deliveryId);
        return { attempts: this.attempts.get(d.id) ?? [] };
      },
      retryDelivery: async (req) => {
        const d = this.deliveryOf(req.orgId, req.endpointId, req.deliveryId);
        if (d.status === webhooks.DeliveryStatus.SUCCEEDED) throw new RpcError(GrpcStatus.FAILED_PRECONDITION, "delivery already succeeded");
        d.status = webhooks.DeliveryStatus.PENDING;
        d.nextAttemptAt = timestampFromMs(Date.now());
        return {};
      },
    };
    // Record every call and apply injected failures first.
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(impl) as unknown as Array<[string, (req: never, ctx: HandlerContext) => Promise<unknown>]>) {
      wrapped[name] = async (req: never, ctx: HandlerContext) => {
        this.calls.push({ method: name, req: req as Record<string, unknown>, metadata: ctx.metadata });
        const fail = this.failures.get(name) ?? this.failures.get("*");
        if (fail) {
          this.failures.delete(name);
          this.failures.delete("*");
          throw fail;
        }
        return fn(req, ctx);
      };
    }
    return wrapped as unknown as ServiceImpl<WebhookMethods>;
  }
}

/** A FakeWebhooks behind a real gRPC server that can be stopped and started again on its port. */
export interface FakeWebhooksServer {
  fake: FakeWebhooks;
  /** `127.0.0.1:<port>`. */
  address: string;
  port: number;
  /** Stops serving (calls fail with UNAVAILABLE); the state is kept. */
  stop(): Promise<void>;
  /** Serves again on the same port. */
  start(): Promise<void>;
}

/** Starts the fake on `port` (0 = any free port). */
export async function startFakeWebhooks(opts: { port?: number; fake?: FakeWebhooks; logger?: Logger } = {}): Promise<FakeWebhooksServer> {
  const fake = opts.fake ?? new FakeWebhooks();
  const logger = opts.logger ?? captureLogger("warn").logger;
  let host: GrpcHost | undefined;
  let port = opts.port ?? 0;
  const start = async () => {
    if (host) return;
    host = new GrpcHost(logger, new Registry(), { callers: { tokens: [TEST_INTERNAL_TOKEN] } });
    host.addService(webhooks.WebhookService, fake.impl());
    port = await host.listen("127.0.0.1", port);
  };
  await start();
  return {
    fake,
    get address() {
      return `127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    async stop() {
      const h = host;
      host = undefined;
      if (h) await h.shutdown(200);
    },
    start,
  };
}
