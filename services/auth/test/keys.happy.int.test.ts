import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { auth } from "@datahub/proto";
import { eventually } from "@datahub/runtime/testing";
import { openKeyAdmin } from "../src/index";
import { newOrg, startAuth, type AuthHarness } from "./auth-harness";

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth();
});
afterAll(() => h.close());

describe("key lifecycle over gRPC", () => {
  it("creates and lists orgs; the root org exists from start-up", async () => {
    const id = await newOrg(h, "Acme");
    const { orgs } = await h.client.listOrgs({});
    expect(orgs.map((o) => o.name)).toEqual(expect.arrayContaining(["root", "Acme"]));
    const acme = orgs.find((o) => o.id === id)!;
    expect(timestampMs(acme.createdAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("create → get → verify → update → rotate → revoke", async () => {
    const orgId = await newOrg(h);
    const expires = Date.now() + 3600_000;
    const created = await h.client.createKey({
      orgId,
      name: "billing",
      scopes: ["orders:read", "keys:*"],
      metadata: { team: "billing", n: 3 },
      expiresAt: timestampFromMs(expires),
      rateLimit: { limit: 100n, windowSeconds: 60n, algorithm: "gcra" },
    });
    expect(created.key).toMatch(/^dh_[0-9A-Za-z]{38}$/);
    const key = created.apiKey!;
    expect(key).toMatchObject({ orgId, name: "billing", prefix: created.key.slice(3, 11), scopes: ["orders:read", "keys:*"], revoked: false, root: false });
    expect(key.metadata).toEqual({ team: "billing", n: 3 });
    expect(timestampMs(key.expiresAt!)).toBe(expires);
    expect(key.rateLimit).toMatchObject({ limit: 100n, windowSeconds: 60n, algorithm: "gcra" });

    const got = await h.client.getKey({ orgId, id: key.id });
    expect(got.apiKey).toMatchObject({ id: key.id, name: "billing" });

    const v = await h.client.verifyKey({ key: created.key });
    expect(v).toMatchObject({ valid: true, code: auth.VerifyCode.VALID, keyId: key.id, orgId, scopes: ["orders:read", "keys:*"], root: false });
    expect(v.rateLimit).toMatchObject({ limit: 100n, windowSeconds: 60n, algorithm: "gcra" });
    expect(timestampMs(v.expiresAt!)).toBe(expires);
    // last_used_at is written in the background.
    await eventually(async () => (await h.client.getKey({ orgId, id: key.id })).apiKey?.lastUsedAt !== undefined);

    const renamed = await h.client.updateKey({ orgId, id: key.id, name: "billing-2" });
    expect(renamed.apiKey).toMatchObject({ name: "billing-2", scopes: ["orders:read", "keys:*"] });
    expect(renamed.apiKey!.expiresAt).toBeDefined();
    const cleared = await h.client.updateKey({ orgId, id: key.id, clearExpiresAt: true, clearRateLimit: true, scopes: { values: ["orders:write"] } });
    expect(cleared.apiKey).toMatchObject({ name: "billing-2", scopes: ["orders:write"] });
    expect(cleared.apiKey!.expiresAt).toBeUndefined();
    expect(cleared.apiKey!.rateLimit).toBeUndefined();

    const rotated = await h.client.rotateKey({ orgId, id: key.id, gracePeriodSeconds: 300 });
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.apiKey).toMatchObject({ name: "billing-2", scopes: ["orders:write"], orgId });
    const old = await h.client.verifyKey({ key: created.key });
    expect(old.code).toBe(auth.VerifyCode.VALID);
    expect(Math.abs(timestampMs(old.expiresAt!) - (Date.now() + 300_000))).toBeLessThan(10_000);
    expect((await h.client.verifyKey({ key: rotated.key })).code).toBe(auth.VerifyCode.VALID);

    await h.client.revokeKey({ orgId, id: rotated.apiKey!.id });
    await h.client.revokeKey({ orgId, id: rotated.apiKey!.id }); // idempotent
    expect((await h.client.verifyKey({ key: rotated.key })).code).toBe(auth.VerifyCode.REVOKED);
    expect((await h.client.getKey({ orgId, id: rotated.apiKey!.id })).apiKey!.revoked).toBe(true);
  });

  it("rotation with the default grace revokes the old key at once", async () => {
    const orgId = await newOrg(h);
    const created = await h.client.createKey({ orgId, name: "x" });
    const rotated = await h.client.rotateKey({ orgId, id: created.apiKey!.id });
    expect((await h.client.verifyKey({ key: created.key })).code).toBe(auth.VerifyCode.REVOKED);
    expect((await h.client.verifyKey({ key: rotated.key })).valid).toBe(true);
  });

  it("lists keys newest first with cursor pagination, without revoked keys", async () => {
    const orgId = await newOrg(h);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.client.createKey({ orgId, name: `k${i}` })).apiKey!.id);
    await h.client.revokeKey({ orgId, id: ids[4]! });
    const seen: string[] = [];
    let cursor = "";
    let pages = 0;
    do {
      const page = await h.client.listKeys({ orgId, limit: 2, cursor });
      seen.push(...page.apiKeys.map((k) => k.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(["k3", "k2", "k1", "k0"]);
    expect(pages).toBe(2);
    expect((await h.client.listKeys({ orgId })).apiKeys).toHaveLength(4);
  });

  it("rotates the root key into a new dhr_ root key, keeping the old one for the grace period", async () => {
    const rootOrg = (await h.client.listOrgs({})).orgs.find((o) => o.name === "root")!;
    const current = await h.client.verifyKey({ key: h.rootKey! });
    expect(current).toMatchObject({ valid: true, root: true, orgId: rootOrg.id });
    const rotated = await h.client.rotateKey({ orgId: rootOrg.id, id: current.keyId, gracePeriodSeconds: 60 });
    expect(rotated.key).toMatch(/^dhr_/);
    expect(rotated.apiKey).toMatchObject({ root: true, scopes: ["*"] });
    expect(await h.client.verifyKey({ key: rotated.key })).toMatchObject({ valid: true, root: true });
    const old = await h.client.verifyKey({ key: h.rootKey! });
    expect(old.valid).toBe(true);
    expect(old.expiresAt).toBeDefined();
  });

  it("openKeyAdmin (the CLI's door) manages keys straight against Postgres", async () => {
    const admin = await openKeyAdmin(h.config, h.logs.logger);
    try {
      const org = await admin.keys.createOrg("cli-org");
      const issued = await admin.keys.createKey({ orgId: org.id, name: "cli", scopes: ["orders:read"] });
      expect((await admin.keys.listKeys(org.id)).keys.map((k) => k.id)).toEqual([issued.apiKey.id]);
      // The running service sees it at once: same database.
      expect((await h.client.verifyKey({ key: issued.key })).valid).toBe(true);
      await admin.keys.revokeKey(org.id, issued.apiKey.id);
      expect((await h.client.verifyKey({ key: issued.key })).code).toBe(auth.VerifyCode.REVOKED);
    } finally {
      await admin.close();
    }
  });

  it("reports ready with postgres and redis checks", async () => {
    const report = await h.runner.health.report();
    expect(report).toEqual({ ready: true, checks: { postgres: true, redis: true } });
  });
});
