/**
 * Every service through PgBouncer in transaction mode: a private PostgreSQL cluster, a private
 * PgBouncer (1.18, no protocol-level prepared statements) in front of it, and `datahub start` with
 * DATABASE_URL on the pooler and DATABASE_DIRECT_URL on the server for what needs a session
 * (migrations hold an advisory lock; audit partition maintenance SETs timeouts and locks).
 * Create an org and a key, a proxied request, its log, a webhook endpoint — all through the pooler.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import pg from "pg";
import { eventually } from "@datahub/runtime/testing";
import { clusterOwner, startPrimary, type PgCluster } from "../../scripts/drill/pg-cluster";
import { startPgBouncer, type PrivatePgBouncer } from "../support/pgbouncer";
import { call, createOrgAndKey, spawnDatahub, startUpstream, type DatahubProcess } from "../support/stack";
import { logStatus, proxied, topologyEnv } from "./support";

jest.setTimeout(120_000);

let server: PgCluster | undefined;
let bouncer: PrivatePgBouncer | undefined;
let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
let datahub: DatahubProcess | undefined;
let env: Record<string, string> = {};

/** `SHOW CLIENTS` on PgBouncer's admin console: who is connected through the pooler. */
async function pooledClients(): Promise<Array<{ database: string; application_name: string }>> {
  const admin = new pg.Client({ connectionString: bouncer!.url("pgbouncer") });
  await admin.connect();
  try {
    return (await admin.query("SHOW CLIENTS")).rows;
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  try {
    server = await startPrimary(await clusterOwner());
    bouncer = await startPgBouncer(server, { adminUser: server.user });
    upstream = await startUpstream();
    env = await topologyEnv(bouncer.url("datahub"), upstream.url, {
      DATABASE_DIRECT_URL: server.url("datahub"),
      DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8",
    });
    datahub = await spawnDatahub(env);
  } catch (e) {
    await teardown();
    throw e;
  }
});

async function teardown(): Promise<void> {
  await datahub?.stop();
  await upstream?.close();
  await bouncer?.stop();
  await server?.stop();
}
afterAll(teardown);

describe("DataHub behind PgBouncer (transaction pool mode)", () => {
  const edgeUrl = () => `http://127.0.0.1:${env.DATAHUB_EDGE_PORT}`;

  it("serves keys, proxied requests, logs and webhooks with every pool on the pooler", async () => {
    const { org, key } = await createOrgAndKey({ edgeUrl: edgeUrl(), rootKey: env.DATAHUB_ROOT_KEY! });

    const first = await proxied(edgeUrl(), key.key);
    expect(first.status).toBe(200);
    const log = await eventually(async () => {
      const r = await logStatus(edgeUrl(), key.key, first.requestId);
      return r.status === 200 ? r.json : undefined;
    }, 10_000, 100);
    expect(log).toMatchObject({ requestId: first.requestId, status: 200, keyId: key.id, orgId: org.id });

    const endpoint = await call(edgeUrl(), "POST", "/v1/webhooks", { key: key.key, body: { url: "http://127.0.0.1:9/hook", events: ["key.created"] } });
    expect(endpoint.status).toBe(201);
    const listed = await call(edgeUrl(), "GET", "/v1/webhooks", { key: key.key });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.json)).toContain(endpoint.json.id);

    // The services' pools are PgBouncer's clients (the pooler sees their application_name)…
    const names = new Set((await pooledClients()).filter((c) => c.database === "datahub").map((c) => c.application_name));
    for (const pool of ["datahub-auth", "datahub-audit", "datahub-webhooks"]) expect(names).toContain(pool);
  });

  it("needs statement_timeout in ignore_startup_parameters: node-postgres sends it when connecting", async () => {
    const strict = await startPgBouncer(server!, { ignoreStartupParameters: "extra_float_digits" });
    try {
      const client = new pg.Client({ connectionString: strict.url("datahub"), statement_timeout: 5000 });
      await expect(client.connect()).rejects.toThrow(/unsupported startup parameter/i);
      await client.end().catch(() => undefined);
    } finally {
      await strict.stop();
    }
  });

  it("ran the migrations over the direct URL, not through the pooler", async () => {
    // node-pg-migrate's session advisory lock is released by the session that took it; through a
    // transaction-mode pooler that session is anybody's. The server's lock table is empty after start.
    const direct = new pg.Client({ connectionString: server!.url("datahub") });
    await direct.connect();
    try {
      const { rows } = await direct.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
      expect(rows[0].n).toBe(0);
      const migrated = await direct.query("SELECT count(*)::int AS n FROM auth.schema_migrations");
      expect(migrated.rows[0].n).toBeGreaterThan(0);
    } finally {
      await direct.end();
    }
  });
});
