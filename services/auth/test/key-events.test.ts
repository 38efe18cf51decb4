/**
 * System events of key changes (KeyManager over the in-memory store): each change writes one
 * event with the key's API shape, never its secret or hash; failed or no-op changes write none.
 */
import { hashApiKey } from "@datahub/runtime";
import { KeyManager } from "../src/key-manager";
import { memoryKeys } from "./helpers";

const KEY_FIELDS = ["createdAt", "expiresAt", "id", "lastUsedAt", "metadata", "name", "orgId", "prefix", "rateLimit", "revoked", "scopes"].sort();

async function setup() {
  const m = memoryKeys();
  let kicks = 0;
  const keys = new KeyManager({ store: m.store, publisher: m.publisher, logger: m.log.logger, now: () => m.clock.now, onEvent: () => kicks++ });
  const org = await keys.createOrg("acme");
  return { ...m, keys, org, kicks: () => kicks };
}

test("create, update, revoke and rotate each write one event in order, without secrets", async () => {
  const { keys, store, org, kicks } = await setup();
  const a = await keys.createKey({ orgId: org.id, name: "a", scopes: ["x:read"], metadata: { team: "t" }, rateLimit: { limit: 5, windowSeconds: 1, algorithm: "" } });
  await keys.updateKey(org.id, a.apiKey.id, { name: "a2" });
  const rotated = await keys.rotateKey(org.id, a.apiKey.id, { gracePeriodSeconds: 60 });
  await keys.revokeKey(org.id, rotated.apiKey.id);
  expect(store.events.map((e) => e.type)).toEqual(["key.created", "key.updated", "key.rotated", "key.revoked"]);
  expect(kicks()).toBe(4);
  for (const e of store.events) {
    expect(e.orgId).toBe(org.id);
    const json = JSON.stringify(e);
    for (const secret of [a.key, rotated.key, hashApiKey(a.key), hashApiKey(rotated.key)]) expect(json).not.toContain(secret);
  }
  const [created, updated, rot, revoked] = store.events;
  expect(Object.keys(created!.data).sort()).toEqual(KEY_FIELDS);
  expect(created!.data).toMatchObject({ id: a.apiKey.id, name: "a", scopes: ["x:read"], metadata: { team: "t" }, rateLimit: { limit: 5, windowSeconds: 1, algorithm: null }, revoked: false });
  expect(updated!.data).toMatchObject({ id: a.apiKey.id, name: "a2" });
  expect(rot!.data).toMatchObject({ id: rotated.apiKey.id, previousKeyId: a.apiKey.id, previousKeyExpiresAt: "2030-01-01T00:01:00.000Z" });
  expect(revoked!.data).toMatchObject({ id: rotated.apiKey.id, revoked: true });
  expect(new Set(store.events.map((e) => e.id)).size).toBe(4);
});

test("no event for a failed change or for revoking a revoked key", async () => {
  const { keys, store, org, advance } = await setup();
  const a = await keys.createKey({ orgId: org.id, name: "a" });
  await keys.revokeKey(org.id, a.apiKey.id);
  advance(1000);
  await keys.revokeKey(org.id, a.apiKey.id);
  await expect(keys.updateKey(org.id, a.apiKey.id, { name: "b" })).rejects.toThrow(/revoked/);
  await expect(keys.rotateKey(org.id, a.apiKey.id)).rejects.toThrow(/revoked/);
  await expect(keys.createKey({ orgId: org.id, name: "" })).rejects.toThrow();
  expect(store.events.map((e) => e.type)).toEqual(["key.created", "key.revoked"]);
});

test("rotation with grace 0 is one key.rotated event (previousKeyExpiresAt null)", async () => {
  const { keys, store, org } = await setup();
  const a = await keys.createKey({ orgId: org.id, name: "a" });
  await keys.rotateKey(org.id, a.apiKey.id);
  expect(store.events.map((e) => e.type)).toEqual(["key.created", "key.rotated"]);
  expect(store.events[1]!.data).toMatchObject({ previousKeyId: a.apiKey.id, previousKeyExpiresAt: null });
});
