import { jest } from "@jest/globals";
import { auth } from "@datahub/proto";
import { createPgPool, generateApiKey, hashApiKey, startRunner } from "@datahub/runtime";
import { captureLogger, createTestDatabase, testConfig } from "@datahub/runtime/testing";
import { migrateAuth } from "../src/admin";
import { NoopInvalidationPublisher } from "../src/invalidation";
import { authModule } from "../src/module";
import { bootstrapRootKey } from "../src/root-bootstrap";
import { PgKeyStore } from "../src/store/pg-key-store";
import { newOrg, startAuth, type AuthHarness } from "./auth-harness";

const ROOT_RE = /dhr_[0-9A-Za-z]{38}/g;

/** Captures process.stdout.write while `fn` runs (and keeps it off the test output). */
async function captureStdout<T>(fn: () => Promise<T>): Promise<{ value: T; out: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    return { value: await fn(), out: chunks.join("") };
  } finally {
    spy.mockRestore();
  }
}

describe("secrets stay out of the database and the logs", () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuth();
  });
  afterAll(() => h.close());

  it("no issued key appears in any api_keys row or any log line", async () => {
    const orgId = await newOrg(h);
    const issued: string[] = [h.rootKey!];
    const a = await h.client.createKey({ orgId, name: "a", scopes: ["x"], metadata: { note: "hello" } });
    issued.push(a.key);
    const b = await h.client.rotateKey({ orgId, id: a.apiKey!.id, gracePeriodSeconds: 60 });
    issued.push(b.key);
    await h.client.updateKey({ orgId, id: b.apiKey!.id, name: "b" });
    for (const k of issued) await h.client.verifyKey({ key: k });
    await h.client.revokeKey({ orgId, id: b.apiKey!.id });
    await h.client.verifyKey({ key: b.key });

    const rows = await h.sql("SELECT row_to_json(k)::text AS row FROM auth.api_keys k");
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const dump = rows.map((r) => String(r.row)).join("\n");
    const logs = h.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    for (const k of issued) {
      expect(dump).not.toContain(k);
      expect(dump).toContain(hashApiKey(k));
      expect(logs).not.toContain(k);
      // The 38-character body alone must not leak either.
      expect(dump).not.toContain(k.slice(k.indexOf("_") + 1));
    }
  });

  it("management responses never carry a secret except create/rotate's `key`", async () => {
    const orgId = await newOrg(h);
    const { key, apiKey } = await h.client.createKey({ orgId, name: "a" });
    const got = await h.client.getKey({ orgId, id: apiKey!.id });
    const listed = await h.client.listKeys({ orgId });
    const text = JSON.stringify([got, listed], (_k, v) => (typeof v === "bigint" ? String(v) : v));
    expect(text).not.toContain(key);
    expect(text).not.toContain(hashApiKey(key));
  });
});

describe("root key bootstrap", () => {
  it("DATAHUB_ROOT_KEY becomes the root key; nothing is printed", async () => {
    const envKey = generateApiKey("dhr");
    const { value: h, out } = await captureStdout(() => startAuth({ DATAHUB_ROOT_KEY: envKey }));
    try {
      expect(out).not.toMatch(ROOT_RE);
      expect(await h.client.verifyKey({ key: envKey })).toMatchObject({ valid: true, root: true, scopes: ["*"] });
      const [row] = await h.sql("SELECT o.name FROM auth.api_keys k JOIN auth.orgs o ON o.id = k.org_id WHERE k.root");
      expect(row).toEqual({ name: "root" });

      // A later start with a different DATAHUB_ROOT_KEY keeps the first one and says so.
      const other = generateApiKey("dhr");
      const log = captureLogger();
      const again = await startRunner({
        config: { ...h.config, rootKey: other, ports: { ...h.config.ports, grpc: 0, metrics: 0 } },
        modules: [authModule],
        logger: log.logger,
      });
      await again.stop();
      expect(log.text()).toMatch(/DATAHUB_ROOT_KEY ignored/);
      expect(log.text()).not.toContain(other);
      expect((await h.client.verifyKey({ key: other })).code).toBe(auth.VerifyCode.NOT_FOUND);
      expect((await h.sql("SELECT count(*)::int AS n FROM auth.api_keys WHERE root"))[0]).toEqual({ n: 1 });
    } finally {
      await h.close();
    }
  });

  it("without DATAHUB_ROOT_KEY a key is generated, printed once on stdout, never logged, not printed on restart", async () => {
    const { value: h, out } = await captureStdout(() => startAuth({}, { generateRoot: true }));
    try {
      const printed = out.match(ROOT_RE) ?? [];
      expect(printed).toHaveLength(1);
      const rootKey = printed[0]!;
      expect(out).toContain("shown ONCE");
      expect(await h.client.verifyKey({ key: rootKey })).toMatchObject({ valid: true, root: true, scopes: ["*"] });
      expect(h.logs.text()).not.toContain(rootKey);
      expect(h.logs.text()).toContain("root key generated");

      const restarted = await captureStdout(() => h.restart());
      expect(restarted.out).not.toMatch(ROOT_RE);
      expect((await h.client.verifyKey({ key: rootKey })).valid).toBe(true);
      expect(h.logs.text()).not.toContain(rootKey);
    } finally {
      await h.close();
    }
  });

  it("replicas starting together: exactly one root key, printed by exactly one", async () => {
    const db = await createTestDatabase();
    const config = testConfig({ DATABASE_URL: db.url });
    const log = captureLogger();
    await migrateAuth(config, log.logger);
    const pools = Array.from({ length: 4 }, () => createPgPool(db.url, { applicationName: "auth-test", max: 2 }, log.logger));
    try {
      const printed: string[] = [];
      const outcomes = await Promise.all(
        pools.map((pool) =>
          bootstrapRootKey({ store: new PgKeyStore(pool), publisher: new NoopInvalidationPublisher(), logger: log.logger, print: (t) => printed.push(t) }),
        ),
      );
      expect(outcomes.filter((o) => o === "generated")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "existing")).toHaveLength(3);
      expect(printed).toHaveLength(1);
      const rows = await pools[0]!.query("SELECT key_hash FROM auth.api_keys WHERE root");
      expect(rows.rows).toEqual([{ key_hash: hashApiKey(printed[0]!.match(ROOT_RE)![0]) }]);
      expect((await pools[0]!.query("SELECT count(*)::int AS n FROM auth.orgs WHERE name = 'root'")).rows).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await db.drop();
    }
  });
});
