/**
 * Designed failures: Redis down at publish (the event is accepted and delivered once Redis is
 * back), a crash between commit and enqueue and a Redis that lost its jobs (the sweeper enqueues
 * from the outbox), Postgres down (Publish is UNAVAILABLE, readiness fails, service recovers),
 * an endpoint failing for too long (disabled, `webhook.endpoint.disabled` emitted).
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { webhooks } from "@datahub/proto";
import { GrpcStatus } from "@datahub/runtime";
import { createTestDatabase, eventually } from "@datahub/runtime/testing";
import { newOrg, startReceiver, startWebhooks, type Receiver } from "./harness";
import { CuttablePgProxy, DisposableRedis } from "./outages";

const data = (v: unknown) => fromJson(ValueSchema, v as never);
let rx: Receiver;

beforeEach(async () => {
  rx = await startReceiver();
});
afterEach(async () => {
  await rx.close();
});

it("accepts a publish while Redis is down and delivers it after Redis returns", async () => {
  const redis = new DisposableRedis();
  await redis.start();
  const h = await startWebhooks({}, { redisUrl: redis.url });
  try {
    const orgId = newOrg();
    await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
    await redis.stop();
    await eventually(async () => !(await h.runner.health.report()).checks["webhooks-redis"]);
    const started = Date.now();
    const pub = await h.client.publish({ orgId, type: "order.created", data: data({ n: 1 }) });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(pub.deliveries).toBe(1);
    const { rows } = await h.pool.query(`SELECT status, enqueued_at FROM webhooks.deliveries WHERE event_id = $1`, [pub.eventId]);
    expect(rows[0]).toMatchObject({ status: "pending", enqueued_at: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.received).toHaveLength(0);
    await redis.start(); // same port, empty data set
    const got = await eventually(() => rx.received.find((r) => r.headers["webhook-id"] === pub.eventId), 20_000);
    expect(JSON.parse(got.body).data).toEqual({ n: 1 });
    const metrics = await h.runner.registry.getSingleMetricAsString("datahub_webhook_sweeper_enqueued_total");
    expect(metrics).toMatch(/datahub_webhook_sweeper_enqueued_total [1-9]/);
  } finally {
    await redis.start().catch(() => {});
    await h.close();
    await redis.stop();
  }
}, 60_000);

describe("the outbox sweeper", () => {
  /** Writes an event and its delivery as a crashed publisher would have left them: committed, not queued. */
  async function plant(pool: import("pg").Pool, orgId: string, endpointId: string, enqueuedAgo?: string): Promise<string> {
    const { rows } = await pool.query(
      `WITH ev AS (INSERT INTO webhooks.events (id, org_id, type, payload) VALUES (gen_random_uuid(), $1, 'crash.test', '{"k":1}') RETURNING id)
       INSERT INTO webhooks.deliveries (id, org_id, endpoint_id, event_id, event_type, next_attempt_at, enqueued_at)
       SELECT gen_random_uuid(), $1, $2, id, 'crash.test', now() - $3::interval, CASE WHEN $3::interval > '0'::interval THEN now() - $3::interval END FROM ev
       RETURNING event_id`,
      [orgId, endpointId, enqueuedAgo ?? "0 seconds"],
    );
    return rows[0].event_id;
  }

  it("enqueues deliveries committed but never queued (crash between commit and enqueue)", async () => {
    const h = await startWebhooks();
    try {
      const orgId = newOrg();
      const { endpoint } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
      const eventId = await plant(h.pool, orgId, endpoint!.id);
      await eventually(() => rx.received.find((r) => r.headers["webhook-id"] === eventId), 10_000);
    } finally {
      await h.close();
    }
  });

  it("re-enqueues queued deliveries that are long overdue (Redis lost them), exactly once per pass", async () => {
    const h = await startWebhooks({ DATAHUB_WEBHOOKS_SWEEP_OVERDUE_MS: "1000" });
    try {
      const orgId = newOrg();
      const { endpoint } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
      const eventId = await plant(h.pool, orgId, endpoint!.id, "1 hour");
      await eventually(() => rx.received.find((r) => r.headers["webhook-id"] === eventId), 10_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(rx.received.filter((r) => r.headers["webhook-id"] === eventId)).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

it("answers Publish with UNAVAILABLE while Postgres is down, fails readiness, and recovers", async () => {
  const db = await createTestDatabase();
  const proxy = new CuttablePgProxy();
  await proxy.open();
  const h = await startWebhooks({}, { databaseUrl: db.url.replace(":5432/", `:${proxy.port}/`) });
  try {
    const orgId = newOrg();
    await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
    await proxy.cut();
    const started = Date.now();
    const err = await h.client.publish({ orgId, type: "a.b", data: data(1) }).then(
      () => undefined,
      (e: { code: number }) => e,
    );
    expect(err?.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(8000);
    expect((await h.runner.health.report()).checks["webhooks-postgres"]).toBe(false);
    await proxy.open();
    const pub = await eventually(() => h.client.publish({ orgId, type: "a.b", data: data(2) }), 15_000);
    await eventually(() => rx.received.find((r) => r.headers["webhook-id"] === pub.eventId), 10_000);
  } finally {
    if (!proxy.isOpen) await proxy.open();
    await h.close();
    await proxy.cut();
    await db.drop();
  }
}, 60_000);

it("disables an endpoint that keeps failing past DATAHUB_WEBHOOKS_DISABLE_AFTER_MS and emits webhook.endpoint.disabled", async () => {
  const h = await startWebhooks({ DATAHUB_WEBHOOKS_DISABLE_AFTER_MS: "400", DATAHUB_WEBHOOKS_RETRY_SCHEDULE: "100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms" });
  const watcher = await startReceiver();
  try {
    const orgId = newOrg();
    const { endpoint } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["order.*"] });
    await h.client.createEndpoint({ orgId, url: watcher.url, events: ["webhook.endpoint.disabled"] });
    rx.respond = () => ({ status: 503 });
    await h.client.publish({ orgId, type: "order.created", data: data(1) });
    const ep = await eventually(async () => {
      const e = (await h.client.getEndpoint({ orgId, id: endpoint!.id })).endpoint!;
      return e.status === webhooks.EndpointStatus.DISABLED ? e : undefined;
    }, 10_000);
    expect(ep.disabledReason).toBe("failing");
    const sys = await eventually(() => watcher.received[0], 10_000);
    expect(JSON.parse(sys.body)).toMatchObject({ type: "webhook.endpoint.disabled", data: { endpointId: endpoint!.id, reason: "failing" } });
    const d = (await h.client.listDeliveries({ orgId, endpointId: endpoint!.id })).deliveries[0]!;
    expect(d.status).toBe(webhooks.DeliveryStatus.FAILED);
  } finally {
    await watcher.close();
    await h.close();
  }
});
