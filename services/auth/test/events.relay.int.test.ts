/**
 * System events from auth, end to end: real Postgres (outbox written in the key change's
 * transaction), the auth module's relay, and a fake WebhookService over real gRPC. Events are
 * published with the outbox row id as idempotency key and marked sent; while the webhooks
 * service is down key management still works and the events wait, then go out in order once
 * it is back.
 */
import { eventually } from "@datahub/runtime/testing";
import { newOrg, startAuth, type AuthHarness } from "./auth-harness";
import { startFakeWebhooks, type FakeWebhooksServer } from "./fake-webhooks";

let h: AuthHarness;
let wh: FakeWebhooksServer;
afterEach(async () => {
  await h?.close();
  await wh?.stop();
});

async function start(serve: boolean) {
  wh = await startFakeWebhooks({ serve });
  h = await startAuth({ DATAHUB_WEBHOOKS_ADDR: wh.address, DATAHUB_AUTH_EVENTS_INTERVAL_MS: "50", DATAHUB_AUTH_EVENTS_MAX_BACKOFF_MS: "300" });
}

test("key changes are published with the outbox id as idempotency key, and marked sent", async () => {
  await start(true);
  const orgId = await newOrg(h);
  const created = await h.client.createKey({ orgId, name: "ci", scopes: ["orders:read"] });
  await h.client.updateKey({ orgId, id: created.apiKey!.id, name: "ci-2" });
  const rotated = await h.client.rotateKey({ orgId, id: created.apiKey!.id, gracePeriodSeconds: 0 });
  await h.client.revokeKey({ orgId, id: rotated.apiKey!.id });

  await eventually(() => wh.events.length === 4, 10_000);
  expect(wh.events.map((e) => e.type)).toEqual(["key.created", "key.updated", "key.rotated", "key.revoked"]);
  expect(wh.events.every((e) => e.orgId === orgId)).toBe(true);
  expect(wh.events[0]!.data).toMatchObject({ id: created.apiKey!.id, name: "ci", scopes: ["orders:read"], orgId, revoked: false });
  expect(wh.events[2]!.data).toMatchObject({ id: rotated.apiKey!.id, previousKeyId: created.apiKey!.id });
  const text = JSON.stringify(wh.events);
  expect(text).not.toContain(created.key);
  expect(text).not.toContain(rotated.key);

  const rows = await eventually(async () => {
    const r = await h.sql("SELECT id, type, sent_at, attempts FROM auth.event_outbox ORDER BY created_at, id");
    return r.every((x) => x.sent_at !== null) ? r : undefined;
  });
  expect(rows.map((r) => r.id)).toEqual(wh.events.map((e) => e.idempotencyKey));
  expect(rows.every((r) => r.attempts === 0)).toBe(true);
}, 30_000);

test("with the webhooks service down, key changes succeed at once; events go out in order when it starts", async () => {
  await start(false);
  const orgId = await newOrg(h);
  const t0 = Date.now();
  const k = await h.client.createKey({ orgId, name: "offline", scopes: [] });
  await h.client.updateKey({ orgId, id: k.apiKey!.id, name: "offline-2" });
  await h.client.revokeKey({ orgId, id: k.apiKey!.id });
  expect(Date.now() - t0).toBeLessThan(1500); // never waits for the webhooks service

  // The relay tried, failed, and keeps the events with a recorded error.
  const pending = await eventually(async () => {
    const r = await h.sql("SELECT type, attempts, last_error, sent_at FROM auth.event_outbox ORDER BY created_at, id");
    return r.length === 3 && Number(r[0]!.attempts) >= 1 ? r : undefined;
  }, 10_000);
  expect(pending.every((r) => r.sent_at === null)).toBe(true);
  expect(String(pending[0]!.last_error)).toMatch(/UNAVAILABLE|ECONNREFUSED|No connection/i);

  await wh.start();
  await eventually(() => wh.events.length === 3, 15_000);
  expect(wh.events.map((e) => e.type)).toEqual(["key.created", "key.updated", "key.revoked"]);
  await eventually(async () => Number((await h.sql("SELECT count(*)::int AS n FROM auth.event_outbox WHERE sent_at IS NULL"))[0]!.n) === 0);
}, 40_000);

test("pending events survive an auth restart and are published afterwards", async () => {
  await start(false);
  const orgId = await newOrg(h);
  await h.client.createKey({ orgId, name: "before-restart", scopes: [] });
  await h.restart();
  await wh.start();
  await eventually(() => wh.events.some((e) => e.type === "key.created" && (e.data as { name?: string }).name === "before-restart"), 15_000);
}, 40_000);

test("a failed key change writes no event (same transaction)", async () => {
  await start(true);
  const orgId = await newOrg(h);
  const k = await h.client.createKey({ orgId, name: "x", scopes: [] });
  await h.client.revokeKey({ orgId, id: k.apiKey!.id });
  await expect(h.client.updateKey({ orgId, id: k.apiKey!.id, name: "y" })).rejects.toMatchObject({ code: 9 });
  await expect(h.client.createKey({ orgId: "0190f3a0-0000-7000-8000-000000000000", name: "z", scopes: [] })).rejects.toMatchObject({ code: 5 });
  const rows = await h.sql("SELECT type FROM auth.event_outbox ORDER BY created_at, id");
  expect(rows.map((r) => r.type)).toEqual(["key.created", "key.revoked"]);
}, 30_000);
