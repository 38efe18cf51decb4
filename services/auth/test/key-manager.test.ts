import { jest } from "@jest/globals";
import { generateApiKey, hashApiKey, isWellFormedApiKey } from "@datahub/runtime";
import { NotFoundError, PreconditionError } from "../src/errors";
import { memoryKeys } from "./helpers";

describe("KeyManager lifecycle (memory store)", () => {
  it("creates an org and a key; returns the secret once and stores only its hash", async () => {
    const { keys, store, publisher } = memoryKeys();
    const org = await keys.createOrg("  Acme  ");
    expect(org.name).toBe("Acme");
    const issued = await keys.createKey({ orgId: org.id, name: "ci", scopes: ["orders:read", "orders:read"], metadata: { team: "x" } });
    expect(isWellFormedApiKey(issued.key)).toBe(true);
    expect(issued.key.startsWith("dh_")).toBe(true);
    expect(issued.apiKey.prefix).toBe(issued.key.slice(3, 11));
    expect(issued.apiKey.scopes).toEqual(["orders:read"]);
    expect(issued.apiKey).not.toHaveProperty("keyHash");
    expect(JSON.stringify(issued.apiKey)).not.toContain(issued.key);
    const stored = await store.findKeyByHash(hashApiKey(issued.key));
    expect(stored?.id).toBe(issued.apiKey.id);
    expect(publisher.published).toEqual([hashApiKey(issued.key)]);
  });

  it("lists newest first with an opaque cursor, excluding revoked keys", async () => {
    const { keys, advance } = memoryKeys();
    const org = await keys.createOrg("acme");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await keys.createKey({ orgId: org.id, name: `k${i}` })).apiKey.id);
      advance(1000);
    }
    await keys.revokeKey(org.id, ids[2]!);
    const p1 = await keys.listKeys(org.id, { limit: 2 });
    expect(p1.keys.map((k) => k.name)).toEqual(["k4", "k3"]);
    expect(p1.nextCursor).not.toBe("");
    const p2 = await keys.listKeys(org.id, { limit: 2, cursor: p1.nextCursor });
    expect(p2.keys.map((k) => k.name)).toEqual(["k1", "k0"]);
    expect(p2.nextCursor).toBe("");
    expect((await keys.listKeys(org.id)).keys).toHaveLength(4);
  });

  it("updates only the fields given and clears expiry and rate limit with null", async () => {
    const { keys, clock } = memoryKeys();
    const org = await keys.createOrg("acme");
    const { apiKey } = await keys.createKey({
      orgId: org.id,
      name: "a",
      scopes: ["x:read"],
      metadata: { a: 1 },
      expiresAt: new Date(clock.now + 3600_000),
      rateLimit: { limit: 10, windowSeconds: 60, algorithm: "gcra" },
    });
    const renamed = await keys.updateKey(org.id, apiKey.id, { name: "b" });
    expect(renamed).toMatchObject({ name: "b", scopes: ["x:read"], metadata: { a: 1 }, rateLimit: { limit: 10, windowSeconds: 60, algorithm: "gcra" } });
    expect(renamed.expiresAt?.getTime()).toBe(clock.now + 3600_000);
    const cleared = await keys.updateKey(org.id, apiKey.id, { expiresAt: null, rateLimit: null });
    expect(cleared.expiresAt).toBeNull();
    expect(cleared.rateLimit).toBeNull();
    expect(cleared.name).toBe("b");
  });

  it("revoke is idempotent; unknown keys are NOT_FOUND; a revoked key cannot be updated or rotated", async () => {
    const { keys, publisher } = memoryKeys();
    const org = await keys.createOrg("acme");
    const { apiKey, key } = await keys.createKey({ orgId: org.id, name: "a" });
    await keys.revokeKey(org.id, apiKey.id);
    await expect(keys.revokeKey(org.id, apiKey.id)).resolves.toBeUndefined();
    expect(publisher.published.filter((h) => h === hashApiKey(key))).toHaveLength(3);
    await expect(keys.revokeKey(org.id, "01900000-0000-7000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
    await expect(keys.updateKey(org.id, apiKey.id, { name: "b" })).rejects.toBeInstanceOf(PreconditionError);
    await expect(keys.rotateKey(org.id, apiKey.id)).rejects.toBeInstanceOf(PreconditionError);
    expect((await keys.getKey(org.id, apiKey.id)).revokedAt).not.toBeNull();
  });
});

describe("org isolation", () => {
  it("treats another org's key as not found for every key operation", async () => {
    const { keys } = memoryKeys();
    const a = await keys.createOrg("a");
    const b = await keys.createOrg("b");
    const { apiKey, key } = await keys.createKey({ orgId: a.id, name: "a-key" });
    await expect(keys.getKey(b.id, apiKey.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(keys.updateKey(b.id, apiKey.id, { name: "x" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(keys.revokeKey(b.id, apiKey.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(keys.rotateKey(b.id, apiKey.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await keys.listKeys(b.id)).keys).toEqual([]);
    expect((await keys.verifyKey(key)).code).toBe("VALID");
  });

  it("refuses a key for an unknown org", async () => {
    const { keys } = memoryKeys();
    await expect(keys.createKey({ orgId: "01900000-0000-7000-8000-000000000000", name: "x" })).rejects.toThrow(/org .* not found/);
  });
});

describe("rotation", () => {
  it("grace 0 (default) revokes the old key at once; the new key keeps the settings", async () => {
    const { keys } = memoryKeys();
    const org = await keys.createOrg("acme");
    const old = await keys.createKey({ orgId: org.id, name: "svc", scopes: ["a:read"], metadata: { m: true }, rateLimit: { limit: 5, windowSeconds: 1, algorithm: "" } });
    const next = await keys.rotateKey(org.id, old.apiKey.id);
    expect(next.key).not.toBe(old.key);
    expect(next.apiKey).toMatchObject({ name: "svc", scopes: ["a:read"], metadata: { m: true }, rateLimit: { limit: 5, windowSeconds: 1, algorithm: "" } });
    expect((await keys.verifyKey(old.key)).code).toBe("REVOKED");
    expect((await keys.verifyKey(next.key)).code).toBe("VALID");
  });

  it("a grace period keeps the old key valid until now + grace, then EXPIRED", async () => {
    const { keys, clock, advance } = memoryKeys();
    const org = await keys.createOrg("acme");
    const old = await keys.createKey({ orgId: org.id, name: "svc" });
    const t0 = clock.now;
    await keys.rotateKey(org.id, old.apiKey.id, { gracePeriodSeconds: 60 });
    const during = await keys.verifyKey(old.key);
    expect(during.code).toBe("VALID");
    expect(during.expiresAt?.getTime()).toBe(t0 + 60_000);
    advance(60_000);
    expect((await keys.verifyKey(old.key)).code).toBe("EXPIRED");
  });

  it("the grace never extends the old key beyond its own expiry, and the new key keeps that expiry", async () => {
    const { keys, clock } = memoryKeys();
    const org = await keys.createOrg("acme");
    const expiry = new Date(clock.now + 10_000);
    const old = await keys.createKey({ orgId: org.id, name: "svc", expiresAt: expiry });
    const next = await keys.rotateKey(org.id, old.apiKey.id, { gracePeriodSeconds: 3600 });
    expect((await keys.getKey(org.id, old.apiKey.id)).expiresAt?.getTime()).toBe(expiry.getTime());
    expect(next.apiKey.expiresAt?.getTime()).toBe(expiry.getTime());
  });

  it("refuses a grace above 7 days, and rotating the same key twice", async () => {
    const { keys } = memoryKeys();
    const org = await keys.createOrg("acme");
    const old = await keys.createKey({ orgId: org.id, name: "svc" });
    await expect(keys.rotateKey(org.id, old.apiKey.id, { gracePeriodSeconds: 7 * 86400 + 1 })).rejects.toThrow(/gracePeriodSeconds/);
    await keys.rotateKey(org.id, old.apiKey.id, { gracePeriodSeconds: 30 });
    await expect(keys.rotateKey(org.id, old.apiKey.id)).rejects.toThrow(/already rotated/);
  });
});

describe("verifyKey codes", () => {
  it("answers VALID, NOT_FOUND, REVOKED, EXPIRED and MALFORMED", async () => {
    const { keys, clock, advance, store } = memoryKeys();
    const org = await keys.createOrg("acme");
    const live = await keys.createKey({ orgId: org.id, name: "live", scopes: ["*"], rateLimit: { limit: 9, windowSeconds: 9, algorithm: "sliding-log" } });
    const revoked = await keys.createKey({ orgId: org.id, name: "revoked" });
    await keys.revokeKey(org.id, revoked.apiKey.id);
    const expiring = await keys.createKey({ orgId: org.id, name: "exp", expiresAt: new Date(clock.now + 1000) });

    const ok = await keys.verifyKey(live.key);
    expect(ok).toMatchObject({ valid: true, code: "VALID", keyId: live.apiKey.id, orgId: org.id, scopes: ["*"], root: false });
    expect(ok.rateLimit).toEqual({ limit: 9, windowSeconds: 9, algorithm: "sliding-log" });

    expect(await keys.verifyKey(revoked.key)).toMatchObject({ valid: false, code: "REVOKED", scopes: [] });
    expect(await keys.verifyKey(generateApiKey())).toMatchObject({ valid: false, code: "NOT_FOUND" });

    const spy = jest.spyOn(store, "findKeyByHash");
    // A one-character change breaks the checksum: rejected without touching the store.
    const tampered = live.key.slice(0, -1) + (live.key.endsWith("A") ? "B" : "A");
    expect(await keys.verifyKey(tampered)).toMatchObject({ valid: false, code: "MALFORMED" });
    expect(await keys.verifyKey("")).toMatchObject({ code: "MALFORMED" });
    expect(spy).not.toHaveBeenCalled();

    advance(1000);
    expect(await keys.verifyKey(expiring.key)).toMatchObject({ valid: false, code: "EXPIRED" });
  });

  it("records last use in the background, at most once per interval", async () => {
    const { keys, store, advance, clock } = memoryKeys();
    const org = await keys.createOrg("acme");
    const { key, apiKey } = await keys.createKey({ orgId: org.id, name: "a" });
    const touch = jest.spyOn(store, "touchKey");
    await keys.verifyKey(key);
    await keys.verifyKey(key);
    await keys.flush();
    expect(touch).toHaveBeenCalledTimes(1);
    expect((await keys.getKey(org.id, apiKey.id)).lastUsedAt?.getTime()).toBe(clock.now);
    advance(60_000);
    await keys.verifyKey(key);
    await keys.flush();
    expect(touch).toHaveBeenCalledTimes(2);
  });

  it("a failing last-use write does not fail verification", async () => {
    const { keys, store } = memoryKeys();
    const org = await keys.createOrg("acme");
    const { key } = await keys.createKey({ orgId: org.id, name: "a" });
    jest.spyOn(store, "touchKey").mockRejectedValue(new Error("db down"));
    await expect(keys.verifyKey(key)).resolves.toMatchObject({ code: "VALID" });
    await keys.flush();
  });
});
