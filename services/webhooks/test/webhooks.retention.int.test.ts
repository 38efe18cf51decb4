/**
 * Retention (DATAHUB_WEBHOOKS_RETENTION_DAYS): old events go with their deliveries and attempts;
 * recent events and events with a delivery still pending stay. Real Postgres, real delivery.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { eventually } from "@datahub/runtime/testing";
import { PgWebhookStore } from "../src/store/pg-store";
import { newOrg, startReceiver, startWebhooks, type Receiver } from "./harness";

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
});

it("deletes finished events older than the retention with their deliveries and attempts, and keeps the rest", async () => {
  const h = await startWebhooks();
  try {
    const orgId = newOrg();
    const { endpoint } = await h.client.createEndpoint({ orgId, url: rx.url, events: ["*"] });
    const old = await h.client.publish({ orgId, type: "order.created", data: fromJson(ValueSchema, { n: 1 }) });
    const recent = await h.client.publish({ orgId, type: "order.created", data: fromJson(ValueSchema, { n: 2 }) });
    const count = async (sql: string, id: string) => Number((await h.pool.query(sql, [id])).rows[0].n);
    const attemptsOf = (eventId: string) => count("SELECT count(*) AS n FROM webhooks.attempts a JOIN webhooks.deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1", eventId);
    await eventually(async () => (await attemptsOf(old.eventId)) === 1 && (await attemptsOf(recent.eventId)) === 1, 10_000);
    // An old event whose delivery is still pending (due tomorrow) must survive retention.
    const { rows } = await h.pool.query(
      `WITH ev AS (INSERT INTO webhooks.events (id, org_id, type, payload) VALUES (gen_random_uuid(), $1, 'order.created', '{}') RETURNING id)
       INSERT INTO webhooks.deliveries (id, org_id, endpoint_id, event_id, event_type, next_attempt_at)
       SELECT gen_random_uuid(), $1, $2, id, 'order.created', now() + interval '1 day' FROM ev RETURNING event_id`,
      [orgId, endpoint!.id],
    );
    const pending = rows[0].event_id as string;
    await h.pool.query("UPDATE webhooks.events SET created_at = now() - interval '31 days' WHERE id = ANY($1)", [[old.eventId, pending]]);

    const store = new PgWebhookStore(h.pool);
    expect(await store.purgeEvents(new Date(Date.now() - 30 * 86_400_000), 1000)).toBe(1);

    const events = (id: string) => count("SELECT count(*) AS n FROM webhooks.events WHERE id = $1", id);
    const deliveries = (id: string) => count("SELECT count(*) AS n FROM webhooks.deliveries WHERE event_id = $1", id);
    expect([await events(old.eventId), await deliveries(old.eventId), await attemptsOf(old.eventId)]).toEqual([0, 0, 0]);
    expect([await events(recent.eventId), await deliveries(recent.eventId), await attemptsOf(recent.eventId)]).toEqual([1, 1, 1]);
    expect([await events(pending), await deliveries(pending)]).toEqual([1, 1]);
    // Nothing left to delete: a second pass is a no-op.
    expect(await store.purgeEvents(new Date(Date.now() - 30 * 86_400_000), 1000)).toBe(0);
  } finally {
    await h.close();
  }
});
