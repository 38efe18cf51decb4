import { jest } from "@jest/globals";
import { createHash } from "node:crypto";
import { ConsoleSessions, MAX_SESSION_TTL_SECONDS } from "../src/sessions/console-sessions";
import { MemorySessionStore } from "../src/sessions/session-store";
import { memoryKeys } from "./helpers";

async function setup() {
  const m = memoryKeys();
  const sessionStore = new MemorySessionStore();
  const sessions = new ConsoleSessions({ sessions: sessionStore, keys: m.store, now: () => m.clock.now });
  const org = await m.keys.createOrg("acme");
  const issued = await m.keys.createKey({ orgId: org.id, name: "console user", scopes: ["keys:read"] });
  return { ...m, sessions, sessionStore, org, issued };
}

describe("ConsoleSessions (happy)", () => {
  it("exchanges a key for a token that verifies to the key's current state", async () => {
    const { sessions, issued, keys, org } = await setup();
    const signIn = await sessions.create(issued.key, 3600);
    if (!signIn.valid) throw new Error("expected a session");
    expect(signIn.token).toMatch(/^dhs_[A-Za-z0-9_-]{43}$/);
    expect(signIn.session.keyName).toBe("console user");
    expect(signIn.session.key.scopes).toEqual(["keys:read"]);
    await keys.updateKey(org.id, issued.apiKey.id, { scopes: ["keys:read", "logs:read"], name: "renamed" });
    const seen = await sessions.verify(signIn.token);
    expect(seen?.key.scopes).toEqual(["keys:read", "logs:read"]);
    expect(seen?.keyName).toBe("renamed");
  });

  it("signing out ends the session", async () => {
    const { sessions, issued } = await setup();
    const signIn = await sessions.create(issued.key, 3600);
    if (!signIn.valid) throw new Error("expected a session");
    await sessions.end(signIn.token);
    expect(await sessions.verify(signIn.token)).toBeNull();
  });
});

describe("ConsoleSessions (error)", () => {
  it("refuses malformed, unknown and revoked keys with the key's code", async () => {
    const { sessions, issued, keys, org } = await setup();
    expect(await sessions.create("not-a-key", 60)).toMatchObject({ valid: false, key: { code: "MALFORMED" } });
    const other = await setup();
    expect(await sessions.create(other.issued.key, 60)).toMatchObject({ valid: false, key: { code: "NOT_FOUND" } });
    await keys.revokeKey(org.id, issued.apiKey.id);
    expect(await sessions.create(issued.key, 60)).toMatchObject({ valid: false, key: { code: "REVOKED" } });
  });

  it("expires after its TTL, and no later than its key", async () => {
    const { sessions, issued, keys, org, advance, clock } = await setup();
    const signIn = await sessions.create(issued.key, 60);
    if (!signIn.valid) throw new Error("expected a session");
    advance(59_000);
    expect(await sessions.verify(signIn.token)).not.toBeNull();
    advance(1_000);
    expect(await sessions.verify(signIn.token)).toBeNull();

    await keys.updateKey(org.id, issued.apiKey.id, { expiresAt: new Date(clock.now + 10_000) });
    const capped = await sessions.create(issued.key, 3600);
    if (!capped.valid) throw new Error("expected a session");
    expect(capped.session.expiresAt.getTime()).toBe(clock.now + 10_000);
    advance(10_000);
    expect(await sessions.verify(capped.token)).toBeNull();
  });

  it("caps the TTL at seven days", async () => {
    const { sessions, issued, clock } = await setup();
    const signIn = await sessions.create(issued.key, 10 * MAX_SESSION_TTL_SECONDS);
    if (!signIn.valid) throw new Error("expected a session");
    expect(signIn.session.expiresAt.getTime()).toBe(clock.now + MAX_SESSION_TTL_SECONDS * 1000);
  });

  it("prunes sessions that ended more than a day ago when someone signs in", async () => {
    const { sessions, sessionStore, issued, advance } = await setup();
    const first = await sessions.create(issued.key, 60);
    if (!first.valid) throw new Error("expected a session");
    advance(25 * 3600 * 1000);
    await sessions.create(issued.key, 60);
    expect(sessionStore.rows.size).toBe(1);
  });
});

describe("ConsoleSessions (security)", () => {
  it("revoking the key ends every session made with it", async () => {
    const { sessions, issued, keys, org } = await setup();
    const a = await sessions.create(issued.key, 3600);
    const b = await sessions.create(issued.key, 3600);
    if (!a.valid || !b.valid) throw new Error("expected sessions");
    await keys.revokeKey(org.id, issued.apiKey.id);
    expect(await sessions.verify(a.token)).toBeNull();
    expect(await sessions.verify(b.token)).toBeNull();
  });

  it("stores neither the token nor the key, only the token's SHA-256", async () => {
    const { sessions, sessionStore, issued } = await setup();
    const signIn = await sessions.create(issued.key, 3600);
    if (!signIn.valid) throw new Error("expected a session");
    const stored = JSON.stringify([...sessionStore.rows.values()]);
    expect(stored).not.toContain(signIn.token);
    expect(stored).not.toContain(issued.key);
    expect([...sessionStore.rows.keys()]).toEqual([createHash("sha256").update(signIn.token).digest("hex")]);
  });

  it("answers malformed and unknown tokens with null, without a lookup for malformed ones", async () => {
    const { sessions, sessionStore } = await setup();
    const find = jest.spyOn(sessionStore, "find");
    for (const t of ["", "dhs_short", "dh_" + "a".repeat(43), "dhs_" + "!".repeat(43), "x".repeat(10_000)]) expect(await sessions.verify(t)).toBeNull();
    expect(find).not.toHaveBeenCalled();
    expect(await sessions.verify("dhs_" + "A".repeat(43))).toBeNull();
    expect(find).toHaveBeenCalledTimes(1);
  });
});
