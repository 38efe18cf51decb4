/**
 * Key cache when auth fails: last-known-good entries keep working for staleTtlMs, an unknown key
 * is `unavailable` (503), never `invalid` (401).
 */
import { KeyCache, PUSH_DOWN_TTL_MS, type CacheResult } from "../src/keys/key-cache";
import { FakeAuth, manualClock } from "./support/fakes";

function setup() {
  const backend = new FakeAuth();
  const clock = manualClock();
  const results: CacheResult[] = [];
  const cache = new KeyCache({ verify: backend.verify, ttlMs: 10_000, negativeTtlMs: 2_000, staleTtlMs: 60_000, size: 100, now: clock.now, onResult: (r) => results.push(r) });
  cache.setPushHealthy(true);
  return { backend, clock, cache, results };
}

test("auth down: a cached key past its TTL but within staleTtlMs is served stale", async () => {
  const { backend, cache, clock, results } = setup();
  const key = backend.addKey();
  await cache.lookup(key);
  backend.down = true;
  clock.advance(30_000);
  expect((await cache.lookup(key)).status).toBe("valid");
  expect(results.at(-1)).toBe("stale");
});

test("auth down: past staleTtlMs the cached key is no longer trusted: unavailable, not invalid", async () => {
  const { backend, cache, clock } = setup();
  const key = backend.addKey();
  await cache.lookup(key);
  backend.down = true;
  clock.advance(60_001);
  expect(await cache.lookup(key)).toEqual({ status: "unavailable" });
});

test("auth down: an unknown key is unavailable (503), never invalid (401)", async () => {
  const { backend, cache } = setup();
  backend.down = true;
  expect(await cache.lookup(backend.addKey())).toEqual({ status: "unavailable" });
});

test("auth down: a stale entry is not served past the key's expiry", async () => {
  const { backend, cache, clock } = setup();
  const key = backend.addKey({ expiresAtMs: clock.now() + 20_000 });
  await cache.lookup(key);
  backend.down = true;
  clock.advance(15_000);
  expect((await cache.lookup(key)).status).toBe("valid");
  clock.advance(5_000);
  expect(cache.lookup(key)).toEqual({ status: "invalid" });
});

test("auth answering errors other than UNAVAILABLE is treated as an outage, not a rejection", async () => {
  const { cache } = setup();
  const broken = new KeyCache({ verify: async () => Promise.reject(new Error("13 INTERNAL")), ttlMs: 1, negativeTtlMs: 1, staleTtlMs: 1, size: 1 });
  expect(await broken.lookup("dh_whatever")).toEqual({ status: "unavailable" });
  expect(cache.size).toBe(0);
});

test("after an outage, the next lookup verifies again and recovers", async () => {
  const { backend, cache } = setup();
  const key = backend.addKey();
  backend.down = true;
  expect((await cache.lookup(key)).status).toBe("unavailable");
  backend.down = false;
  expect((await cache.lookup(key)).status).toBe("valid");
});

test("while the invalidation channel is down, positive entries are trusted for at most 1 s", async () => {
  const { backend, cache, clock } = setup();
  cache.setPushHealthy(false);
  const key = backend.addKey();
  await cache.lookup(key);
  clock.advance(PUSH_DOWN_TTL_MS - 1);
  expect(cache.lookup(key)).not.toBeInstanceOf(Promise);
  clock.advance(1);
  expect(cache.lookup(key)).toBeInstanceOf(Promise);
});
