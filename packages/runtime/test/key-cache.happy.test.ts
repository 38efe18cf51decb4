/**
 * Key cache, happy paths: fresh hits without RPCs, TTL expiry, the key's own expiry, singleflight.
 */
import { KeyCache, type CacheResult } from "../src/keys/key-cache";
import { FakeAuth, manualClock } from "./support/fakes";

function setup(overrides: Partial<ConstructorParameters<typeof KeyCache>[0]> = {}) {
  const backend = new FakeAuth();
  const clock = manualClock();
  const results: CacheResult[] = [];
  const cache = new KeyCache({
    verify: backend.verify,
    ttlMs: 10_000,
    negativeTtlMs: 2_000,
    staleTtlMs: 60_000,
    size: 100,
    now: clock.now,
    onResult: (r) => results.push(r),
    ...overrides,
  });
  cache.setPushHealthy(true);
  return { backend, clock, cache, results };
}

test("a miss asks auth once; later lookups are synchronous hits with the same principal", async () => {
  const { backend, cache, results } = setup();
  const key = backend.addKey({ scopes: ["orders:read"], rateLimit: { limit: 5, windowSeconds: 60, algorithm: "gcra" } });
  const first = await cache.lookup(key);
  expect(first).toEqual({ status: "valid", principal: { keyId: "key-1", orgId: "org-1", scopes: ["orders:read"], root: false, rateLimit: { limit: 5, windowSeconds: 60, algorithm: "gcra" } } });
  const second = cache.lookup(key);
  expect(second).not.toBeInstanceOf(Promise);
  expect(second).toEqual(first);
  expect(backend.calls).toHaveLength(1);
  expect(results).toEqual(["miss", "hit"]);
});

test("an entry older than ttlMs is verified again", async () => {
  const { backend, cache, clock } = setup();
  const key = backend.addKey();
  await cache.lookup(key);
  clock.advance(9_999);
  expect(cache.lookup(key)).not.toBeInstanceOf(Promise);
  clock.advance(2);
  await cache.lookup(key);
  expect(backend.calls).toHaveLength(2);
});

test("a positive entry is never served past the key's own expires_at", async () => {
  const { backend, cache, clock, results } = setup();
  const key = backend.addKey({ expiresAtMs: clock.now() + 3_000 });
  expect((await cache.lookup(key)).status).toBe("valid");
  clock.advance(3_000);
  expect(cache.lookup(key)).toEqual({ status: "invalid" });
  expect(backend.calls).toHaveLength(1);
  expect(results.at(-1)).toBe("negative");
});

test("concurrent misses for one key share one VerifyKey call (singleflight)", async () => {
  const { backend, cache } = setup();
  const key = backend.addKey();
  let open!: () => void;
  backend.gate = new Promise((r) => (open = r));
  const pending = Array.from({ length: 50 }, () => cache.lookup(key));
  open();
  const all = await Promise.all(pending);
  expect(backend.calls).toHaveLength(1);
  expect(all.every((r) => r.status === "valid")).toBe(true);
});

test("different keys are verified independently", async () => {
  const { backend, cache } = setup();
  const a = backend.addKey();
  const b = backend.addKey();
  const [ra, rb] = await Promise.all([cache.lookup(a), cache.lookup(b)]);
  expect(ra.status === "valid" && ra.principal.keyId).toBe("key-1");
  expect(rb.status === "valid" && rb.principal.keyId).toBe("key-2");
  expect(backend.calls).toHaveLength(2);
});

test("the LRU bound holds: beyond `size` the least recently used entry is evicted", async () => {
  const { backend, cache } = setup({ size: 2 });
  const keys = [backend.addKey(), backend.addKey(), backend.addKey()];
  for (const k of keys) await cache.lookup(k);
  expect(cache.size).toBe(2);
  await cache.lookup(keys[0]!);
  expect(backend.calls).toHaveLength(4);
});
