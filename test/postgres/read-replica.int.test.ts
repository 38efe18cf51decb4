/**
 * The audit service's queries on a streaming replica (AUDIT_READ_DATABASE_URL), writes on the
 * primary: a private primary and a hot standby made with `pg_basebackup -R`, both on free ports in
 * temp dirs, and `datahub start` between them. A log written a moment ago may not be visible yet
 * (replay paused here to make the lag certain), then converges; the replica is read-only, so a
 * single misrouted write would fail; with the replica down, log reads answer 503 and writes go on.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import pg from "pg";
import { eventually } from "@datahub/runtime/testing";
import { clusterOwner, startPrimary, startStandby, type PgCluster } from "../../scripts/drill/pg-cluster";
import { call, createOrgAndKey, spawnDatahub, startUpstream, type DatahubProcess } from "../support/stack";
import { logStatus, proxied, topologyEnv } from "./support";

jest.setTimeout(120_000);

let primary: PgCluster | undefined;
let replica: PgCluster | undefined;
let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
let datahub: DatahubProcess | undefined;
let env: Record<string, string> = {};
let key: { id: string; key: string };

const edgeUrl = () => `http://127.0.0.1:${env.DATAHUB_EDGE_PORT}`;

/** One statement on `cluster`'s database `db`, on a connection of its own. */
async function sql<T = Record<string, unknown>>(cluster: PgCluster, text: string, params: unknown[] = [], db = "datahub"): Promise<T[]> {
  const c = new pg.Client({ connectionString: cluster.url(db) });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

const onPrimary = async (requestId: string) =>
  (await sql<{ n: number }>(primary!, "SELECT count(*)::int AS n FROM audit.request_logs WHERE request_id = $1", [requestId]))[0]!.n;

async function teardown(): Promise<void> {
  await datahub?.stop();
  await upstream?.close();
  await replica?.stop();
  await primary?.stop();
}

beforeAll(async () => {
  try {
    const owner = await clusterOwner();
    primary = await startPrimary(owner);
    replica = await startStandby(owner, primary);
    upstream = await startUpstream();
    env = await topologyEnv(primary.url("datahub"), upstream.url, { AUDIT_READ_DATABASE_URL: replica.url("datahub") });
    datahub = await spawnDatahub(env);
    ({ key } = await createOrgAndKey({ edgeUrl: edgeUrl(), rootKey: env.DATAHUB_ROOT_KEY! }));
  } catch (e) {
    await teardown();
    throw e;
  }
});
afterAll(teardown);

/** `datahub_audit_read_replica_lag_seconds` as the process's /metrics shows it now. */
async function replicaLag(): Promise<number> {
  const text = await (await fetch(`${datahub!.metricsUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("datahub_audit_read_replica_lag_seconds"));
  if (line === undefined) throw new Error("datahub_audit_read_replica_lag_seconds is not exported");
  return Number(line.split(" ").pop());
}

describe("audit reads on a streaming replica", () => {
  it("the replica is a read-only hot standby", async () => {
    expect(await sql(replica!, "SELECT pg_is_in_recovery() AS r", [], "postgres")).toEqual([{ r: true }]);
    await expect(sql(replica!, "CREATE TABLE audit.nope (x int)")).rejects.toMatchObject({ code: "25006" });
  });

  it("a log written on the primary becomes visible once the replica has replayed it", async () => {
    // Replay paused: the write is on the primary, the replica (and so GET /v1/logs) lags behind.
    await sql(replica!, "SELECT pg_wal_replay_pause()", [], "postgres");
    try {
      const r = await proxied(edgeUrl(), key.key);
      expect(r.status).toBe(200);
      await eventually(async () => (await onPrimary(r.requestId)) === 1, 10_000, 50);
      expect((await logStatus(edgeUrl(), key.key, r.requestId)).status).toBe(404);
      // The lag gauge sees it: WAL received and not replayed.
      expect(await eventually(async () => ((await replicaLag()) > 0 ? await replicaLag() : undefined), 10_000, 100)).toBeGreaterThan(0);
      await sql(replica!, "SELECT pg_wal_replay_resume()", [], "postgres");
      const log = await eventually(async () => {
        const got = await logStatus(edgeUrl(), key.key, r.requestId);
        return got.status === 200 ? got.json : undefined;
      }, 10_000, 50);
      expect(log).toMatchObject({ requestId: r.requestId, status: 200, keyId: key.id });
      // Caught up: nothing received is left to replay.
      await eventually(async () => (await replicaLag()) === 0, 10_000, 100);
    } finally {
      await sql(replica!, "SELECT pg_wal_replay_resume()", [], "postgres").catch(() => undefined);
    }
  });

  it("usage and log listings read from the replica too; no write was ever refused as read-only", async () => {
    const list = await call(edgeUrl(), "GET", `/v1/logs?keyId=${key.id}`, { key: key.key });
    expect(list.status).toBe(200);
    expect(list.json.data.length).toBeGreaterThan(0);
    const usage = await call(edgeUrl(), "GET", `/v1/usage?keyId=${key.id}`, { key: key.key });
    expect(usage.status).toBe(200);
    // A write sent to the standby would fail with SQLSTATE 25006 and be logged by the audit service.
    expect(datahub!.output()).not.toMatch(/read-only transaction|25006/);
  });

  it("with the replica down, log reads answer 503 problem+json and writes go on", async () => {
    await replica!.stop({ keep: true });
    const r = await proxied(edgeUrl(), key.key);
    expect(r.status).toBe(200);
    await eventually(async () => (await onPrimary(r.requestId)) === 1, 10_000, 50);

    const read = await call(edgeUrl(), "GET", `/v1/logs/${r.requestId}`, { key: key.key });
    expect(read.status).toBe(503);
    expect(read.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(read.json).toMatchObject({ status: 503 });
    expect(read.text).not.toContain(replica!.password);
    expect(datahub!.output()).not.toContain(replica!.password);
    // Unknown, not zero: a replica that cannot be asked is not "caught up".
    expect(await replicaLag()).toBeNaN();
    // Readiness follows the primary only: the audit service stays in rotation for the writes.
    expect((await fetch(`${datahub!.metricsUrl}/readyz`)).status).toBe(200);
  });
});
