/**
 * Key cache, security: revocations stick (negative cache, pushed invalidation, no resurrection by
 * a verification that raced an invalidation) and the cache holds hashes, never keys.
 */
import { hashApiKey } from "@datahub/runtime";
import { KeyCache } from "../src/keys/key-cache";
import { applyInvalidation } from "../src/keys/invalidation";
import { FakeAuth, manualClock } from "./support/fakes";

function setup() {
  const backend = new FakeAuth();
  const clock = manualClock();
  const cache = new KeyCache({ verify: backend.verify, ttlMs: 600_000, negativeTtlMs: 2_000, staleTtlMs: 600_000, size: 100, now: clock.now });
  cache.setPushHealthy(true);
  return { backend, clock, cache };
}

test("an unknown key is cached negatively for negativeTtlMs, then asked again", async () => {
  const { backend, cache, clock } = setup();
  const unknown = "dh_" + "a".repeat(38);
  expect(await cache.lookup(unknown)).toEqual({ status: "invalid" });
  expect(cache.lookup(unknown)).toEqual({ status: "invalid" });
  expect(backend.calls).toHaveLength(1);
  clock.advance(2_000);
  await cache.lookup(unknown);
  expect(backend.calls).toHaveLength(2);
});

test("an invalidation message (the key's SHA-256) drops the entry: a revoked key fails at once", async () => {
  const { backend, cache } = setup();
  const key = backend.addKey();
  expect((await cache.lookup(key)).status).toBe("valid");
  backend.revoke(key);
  expect((cache.lookup(key) as { status: string }).status).toBe("valid"); // still cached
  applyInvalidation(cache, hashApiKey(key));
  expect(await cache.lookup(key)).toEqual({ status: "invalid" });
});

test("`*` drops every entry; garbage messages are ignored", async () => {
  const { backend, cache } = setup();
  await cache.lookup(backend.addKey());
  await cache.lookup(backend.addKey());
  applyInvalidation(cache, "not-a-hash");
  expect(cache.size).toBe(2);
  applyInvalidation(cache, "*");
  expect(cache.size).toBe(0);
});

test("a verification in flight when an invalidation arrives is not cached (no resurrection)", async () => {
  const { backend, cache } = setup();
  const key = backend.addKey();
  let open!: () => void;
  backend.gate = new Promise((r) => (open = r));
  const pending = cache.lookup(key);
  applyInvalidation(cache, hashApiKey(key));
  open();
  expect((await pending).status).toBe("valid");
  expect(cache.size).toBe(0);
  backend.gate = undefined;
  backend.revoke(key);
  expect(await cache.lookup(key)).toEqual({ status: "invalid" });
});

test("a revoked key is not served stale during an auth outage once invalidated", async () => {
  const { backend, cache } = setup();
  const key = backend.addKey();
  await cache.lookup(key);
  applyInvalidation(cache, hashApiKey(key));
  backend.down = true;
  expect(await cache.lookup(key)).toEqual({ status: "unavailable" });
});

test("entries are keyed by the key's SHA-256, never by the key itself", async () => {
  const { backend, cache } = setup();
  const key = backend.addKey();
  await cache.lookup(key);
  const dump = JSON.stringify([...(cache as unknown as { lru: Map<string, unknown> }).lru.keys()]);
  expect(dump).toContain(hashApiKey(key));
  expect(dump).not.toContain(key);
  expect(dump).not.toContain(key.slice(3));
});

test("verifiedBefore: true for a valid key held past its freshness, false for unknown, invalidated or expired keys", async () => {
  const { backend, cache, clock } = setup();
  const key = backend.addKey();
  expect(cache.verifiedBefore(key)).toBe(false); // never verified
  await cache.lookup(key);
  clock.advance(700_000); // past the 600 s freshness: the next lookup re-verifies
  expect(cache.lookup(key)).toBeInstanceOf(Promise);
  expect(cache.verifiedBefore(key)).toBe(true);
  applyInvalidation(cache, hashApiKey(key));
  expect(cache.verifiedBefore(key)).toBe(false);
  expect(cache.verifiedBefore("dh_" + "b".repeat(38))).toBe(false);
});
