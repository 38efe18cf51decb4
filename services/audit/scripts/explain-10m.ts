/**
 * Evidence that the audit indexes hold at 10 million rows.
 *
 *   node --import tsx services/audit/scripts/explain-10m.ts
 *
 * Creates a scratch database, applies the audit migrations, creates day partitions for the last
 * 8 days, bulk-loads ROWS synthetic request logs spread over 7 days with one server-side
 * INSERT ... SELECT generate_series per chunk, derives the per-minute usage rollups, ANALYZEs,
 * then prints EXPLAIN (ANALYZE, BUFFERS) of every statement PgLogStore issues, built by the same
 * functions the store uses (src/store/sql.ts) and sent with bind parameters exactly like the store
 * does (unnamed statement, so Postgres plans with the actual values). The database is dropped at
 * the end (also on failure). Env: EXPLAIN_PG_URL (default: the server of .datahub.env's
 * DATABASE_URL, else postgres://postgres@127.0.0.1:5432), ROWS (default 10000000), USAGE_ONLY=1 (skip the raw rows: synthesize only the rollup tables at the
 * size the 10 M-row load produces, ~2 M minute rows, and EXPLAIN the GetUsage statements).
 */
import pg from "pg";
import { createLogger, migrate } from "@datahub/runtime";
import { localPgBaseUrl } from "@datahub/runtime/testing";
import { fileURLToPath } from "node:url";
import { LATENCY_BOUNDS_MS } from "../src/histogram";
import { createDayPartition, runPartitionMaintenance } from "../src/partitions";
import { copyLogs } from "../src/store/copy-logs";
import { getLogSql, queryLogsSql, upsertUsageSql, usageSql, type Sql } from "../src/store/sql";
import { rollupByMinute } from "../src/usage";
import type { LogEntry, LogQuery, UsageQuery } from "../src/store/types";

const BASE = localPgBaseUrl("EXPLAIN_PG_URL");
const ROWS = Number(process.env.ROWS ?? 10_000_000);
const CHUNK = 1_000_000;
const DAY = 86_400_000;
const SPAN = 7 * DAY;
const DB = `datahub_explain_${Date.now().toString(36)}`;
const NOW = Date.now();
const START = NOW - SPAN;

const orgId = (n: number) => `0190f0a0-0000-7000-8000-0000000000${String(n).padStart(2, "0")}`;
const keyId = (org: number, k: number) => `0190f0a0-0000-7000-9000-0000${String(org).padStart(2, "0")}${String(k).padStart(6, "0")}`;
const BIG = orgId(0);

const log = (...a: unknown[]) => console.log(...a);
const elapsed = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

/** Server-side synthetic rows g in [a, b]: time-ordered like real traffic; hashint8 gives stable pseudo-random columns. */
function loadChunkSql(a: number, b: number): string {
  const h = (salt: number) => `(hashint8(g::int8 * 7919 + ${salt}) & 2147483647)`;
  return `
INSERT INTO audit.request_logs (ts, org_id, key_id, request_id, method, path, route, status, duration_ms, gateway_ms,
  client_ip, user_agent, bytes_in, bytes_out, trace_id, error)
SELECT ts, org, '0190f0a0-0000-7000-9000-0000' || lpad(o::text, 2, '0') || lpad((${h(2)} % 20)::text, 6, '0'),
  'req-' || g, method, path, route, status, duration, 0.3 + (${h(6)} % 100) / 100.0,
  '10.0.' || (g % 250) || '.' || (g % 199), 'Mozilla/5.0 (X11; Linux x86_64) datahub-synthetic/1.0',
  ${h(7)} % 2048, ${h(8)} % 65536, md5(g::text), CASE WHEN status = 429 THEN 'rate_limited' ELSE '' END
FROM (
  SELECT g,
    to_timestamp((${START} + g::float8 * ${SPAN} / ${ROWS}) / 1000) AS ts,
    o, '0190f0a0-0000-7000-8000-0000000000' || lpad(o::text, 2, '0') AS org,
    CASE WHEN m < 70 THEN 'GET' WHEN m < 88 THEN 'POST' WHEN m < 94 THEN 'PUT' WHEN m < 97 THEN 'PATCH' ELSE 'DELETE' END AS method,
    CASE WHEN p < 40 THEN '/api/orders/' || (${h(5)} % 100000) WHEN p < 70 THEN '/api/users/' || (${h(5)} % 50000)
         WHEN p < 90 THEN '/api/products/' || (${h(5)} % 20000) WHEN p < 99 THEN '/v1/keys'
         ELSE '/api/admin/exports/' || (${h(5)} % 1000) END AS path,
    CASE WHEN p < 40 THEN 'orders' WHEN p < 70 THEN 'users' WHEN p < 90 THEN 'products' WHEN p < 99 THEN '/v1/keys' ELSE 'admin' END AS route,
    CASE WHEN s < 700 THEN 200 WHEN s < 780 THEN 201 WHEN s < 800 THEN 204 WHEN s < 850 THEN 404 WHEN s < 880 THEN 400
         WHEN s < 900 THEN 401 WHEN s < 915 THEN 403 WHEN s < 960 THEN 429 WHEN s < 990 THEN 500 ELSE 502 END AS status,
    CASE WHEN d < 990 THEN d / 10.0 ELSE 200 + d END AS duration
  FROM (
    SELECT g, CASE WHEN ${h(1)} % 100 < 50 THEN 0 ELSE 1 + ${h(1)} % 9 END AS o,
      ${h(3)} % 100 AS m, ${h(4)} % 100 AS p, ${h(9)} % 1000 AS s, ${h(10)} % 1000 AS d
    FROM generate_series(${a}, ${b}) AS g
  ) r
) x`;
}

/** Rollups of everything loaded, computed in SQL with the same bucket bounds as src/histogram.ts. */
function rollupSql(): string {
  const bounds = [...LATENCY_BOUNDS_MS];
  const buckets = bounds.map((b, i) =>
    i === 0 ? `count(*) FILTER (WHERE duration_ms <= ${b})` : `count(*) FILTER (WHERE duration_ms > ${bounds[i - 1]} AND duration_ms <= ${b})`,
  );
  buckets.push(`count(*) FILTER (WHERE duration_ms > ${bounds[bounds.length - 1]})`);
  return `
INSERT INTO audit.usage_minute (org_id, key_id, minute, requests, errors, rate_limited, latency_buckets)
SELECT org_id, key_id, date_trunc('minute', ts), count(*), count(*) FILTER (WHERE status >= 400 AND status <> 429),
  count(*) FILTER (WHERE status = 429), ARRAY[${buckets.join(", ")}]::bigint[]
FROM audit.request_logs GROUP BY 1, 2, 3`;
}

const HOURLY_FROM_MINUTES = `
INSERT INTO audit.usage_hour (org_id, key_id, hour, requests, errors, rate_limited, latency_buckets)
SELECT org_id, key_id, date_trunc('hour', minute), sum(requests), sum(errors), sum(rate_limited),
  ARRAY[${Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, (_, i) => `sum(latency_buckets[${i + 1}])`).join(", ")}]::bigint[]
FROM audit.usage_minute GROUP BY 1, 2, 3`;

/** USAGE_ONLY: minute rollups of 10 orgs x 20 keys x 7 days, ~5 requests per key-minute (the 10 M load's shape). */
const SYNTHETIC_MINUTES = `
INSERT INTO audit.usage_minute (org_id, key_id, minute, requests, errors, rate_limited, latency_buckets)
SELECT '0190f0a0-0000-7000-8000-0000000000' || lpad(o::text, 2, '0'),
  '0190f0a0-0000-7000-9000-0000' || lpad(o::text, 2, '0') || lpad(k::text, 6, '0'), m, 5, 1, 1,
  ARRAY(SELECT CASE WHEN i BETWEEN 2 AND 14 THEN (hashint8(i + k * 31 + o * 7) & 1) ELSE 0 END::bigint FROM generate_series(1, ${LATENCY_BOUNDS_MS.length + 1}) i)
FROM generate_series(0, 9) o, generate_series(0, 19) k,
  generate_series(date_trunc('minute', to_timestamp(${START} / 1000.0)), to_timestamp(${NOW} / 1000.0), interval '1 minute') m
ORDER BY m, o, k -- time order, like live traffic: one org's rows are spread over the heap`;

async function explain(client: pg.Client, title: string, sql: Sql): Promise<void> {
  await client.query(sql); // warm: what a repeated dashboard query sees
  const { rows } = await client.query<{ "QUERY PLAN": string }>({ text: `EXPLAIN (ANALYZE, BUFFERS) ${sql.text}`, values: sql.values });
  log(`\n### ${title}\n`);
  log("```sql");
  log(sql.text);
  log(`-- params: ${JSON.stringify(sql.values.map((v) => (Array.isArray(v) ? `[${v.length} values]` : v)))}`);
  log("```\n```");
  for (const r of rows) log(r["QUERY PLAN"]);
  log("```");
}

function usageQueries(): Array<[string, UsageQuery]> {
  return [
    ["GetUsage: hourly, last 24 h, whole org", { orgId: BIG, fromMs: Math.floor((NOW - DAY) / 3_600_000) * 3_600_000, toMs: Math.ceil(NOW / 3_600_000) * 3_600_000, granularity: "hour" }],
    ["GetUsage: daily, 8 days, whole org", { orgId: BIG, fromMs: Math.floor((NOW - 8 * DAY) / DAY) * DAY, toMs: Math.ceil(NOW / DAY) * DAY, granularity: "day" }],
    ["GetUsage: per minute, last 24 h, whole org", { orgId: BIG, fromMs: Math.floor((NOW - DAY) / 60_000) * 60_000, toMs: Math.ceil(NOW / 60_000) * 60_000, granularity: "minute" }],
    ["GetUsage: per minute, last hour, one key", { orgId: BIG, keyId: keyId(0, 7), fromMs: Math.floor((NOW - 3_600_000) / 60_000) * 60_000, toMs: Math.ceil(NOW / 60_000) * 60_000, granularity: "minute" }],
  ];
}

function syntheticBatch(n: number): LogEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    requestId: `bench-${i}`, timestampMs: NOW - 1000 + i, method: "GET", path: `/api/orders/${i}`, route: "orders",
    status: i % 10 === 0 ? 429 : 200, durationMs: (i % 100) / 3, gatewayMs: 0.4, keyId: keyId(0, i % 20), orgId: BIG,
    clientIp: "10.0.0.1", userAgent: "bench", bytesIn: 10, bytesOut: 200, traceId: "", error: "",
  }));
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: `${BASE}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  const url = `${BASE}/${DB}`;
  const client = new pg.Client({ connectionString: url });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const t0 = Date.now();
    await migrate({ databaseUrl: url, schema: "audit", dir: fileURLToPath(new URL("../migrations", import.meta.url)), logger: createLogger({ level: "warn" }) });
    await runPartitionMaintenance(pool, { partitionsAhead: 1, retentionDays: 30, nowMs: NOW });
    const pc = await pool.connect();
    for (let d = 7; d >= 2; d--) await createDayPartition(pc, Math.floor((NOW - d * DAY) / DAY) * DAY);
    pc.release();
    await client.connect();
    await client.query("SET synchronous_commit = off");
    await client.query("SET work_mem = '256MB'");
    await client.query("SET maintenance_work_mem = '512MB'");
    if (process.env.USAGE_ONLY) {
      await client.query(SYNTHETIC_MINUTES);
      await client.query(HOURLY_FROM_MINUTES);
      await client.query("ANALYZE audit.usage_minute; ANALYZE audit.usage_hour");
      const n = await client.query("SELECT (SELECT count(*) FROM audit.usage_minute) AS minute_rows, (SELECT count(*) FROM audit.usage_hour) AS hour_rows");
      log(`# audit GetUsage EXPLAIN on synthetic rollups ${JSON.stringify(n.rows[0])} (setup ${elapsed(t0)})`);
      for (const [title, q] of usageQueries()) await explain(client, title, usageSql(q));
      return;
    }
    log(`# audit EXPLAIN at ${ROWS.toLocaleString("en")} rows (${new Date(NOW).toISOString()}, PostgreSQL ${(await client.query("SHOW server_version")).rows[0].server_version})`);
    for (let a = 1; a <= ROWS; a += CHUNK) {
      const t = Date.now();
      const b = Math.min(ROWS, a + CHUNK - 1);
      await client.query(loadChunkSql(a, b));
      log(`loaded rows ${a.toLocaleString("en")}..${b.toLocaleString("en")} in ${elapsed(t)}`);
    }
    let t = Date.now();
    await client.query(rollupSql());
    await client.query(HOURLY_FROM_MINUTES);
    log(`usage rollups derived in ${elapsed(t)}`);
    t = Date.now();
    await client.query("ANALYZE audit.request_logs; ANALYZE audit.usage_minute; ANALYZE audit.usage_hour");
    log(`ANALYZE in ${elapsed(t)}; total setup ${elapsed(t0)}`);
    const sizes = await client.query(`
      SELECT (SELECT count(*) FROM audit.request_logs) AS rows,
             (SELECT count(*) FROM audit.usage_minute) AS usage_rows,
             pg_size_pretty(sum(pg_table_size(c.oid))) AS heap, pg_size_pretty(sum(pg_indexes_size(c.oid))) AS indexes
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit.request_logs'::regclass`);
    log("sizes:", JSON.stringify(sizes.rows[0]));
    const perIndex = await client.query(`
      SELECT regexp_replace(ci.relname, '^request_logs_p[0-9]+_|^request_logs_default_', '') AS idx, pg_size_pretty(sum(pg_relation_size(ci.oid))) AS size
      FROM pg_inherits i JOIN pg_index x ON x.indrelid = i.inhrelid JOIN pg_class ci ON ci.oid = x.indexrelid
      WHERE i.inhparent = 'audit.request_logs'::regclass GROUP BY 1 ORDER BY 1`);
    log("index sizes (all partitions):", perIndex.rows.map((r) => `${r.idx}=${r.size}`).join(", "));
    const counts = await client.query(`SELECT count(*) FILTER (WHERE org_id = $1) AS big_org, count(*) FILTER (WHERE org_id = $1 AND status = 500) AS big_org_500,
      count(*) FILTER (WHERE org_id = $1 AND method = 'DELETE') AS big_org_delete,
      count(*) FILTER (WHERE org_id = $1 AND key_id = $2) AS big_org_key FROM audit.request_logs`, [BIG, keyId(0, 7)]);
    log("selectivity:", JSON.stringify(counts.rows[0]));

    const mid = await client.query<{ ts_ms: number; id: number; request_id: string }>(
      `SELECT round(extract(epoch FROM ts) * 1000)::bigint AS ts_ms, id, request_id FROM audit.request_logs
       WHERE org_id = $1 AND ts < to_timestamp($2::float8 / 1000) ORDER BY ts DESC, id DESC LIMIT 1`,
      [BIG, NOW - 3.5 * DAY],
    );
    const cursor = { tsMs: Number(mid.rows[0]!.ts_ms), id: Number(mid.rows[0]!.id) };
    const base: LogQuery = { orgId: BIG, limit: 50 };
    const queries: Array<[string, LogQuery]> = [
      ["QueryLogs: newest page of the biggest org (5M rows)", base],
      ["QueryLogs: page in the middle (cursor 3.5 days back)", { ...base, cursor }],
      ["QueryLogs: by key", { ...base, keyId: keyId(0, 7) }],
      ["QueryLogs: by key, page 3.5 days back", { ...base, keyId: keyId(0, 7), cursor }],
      ["QueryLogs: by status 500 (3 %)", { ...base, status: 500 }],
      ["QueryLogs: by status 418 (no rows)", { ...base, status: 418 }],
      ["QueryLogs: by method DELETE (3 %)", { ...base, method: "DELETE" }],
      ["QueryLogs: by path prefix /api/admin/exports (1 %)", { ...base, pathPrefix: "/api/admin/exports" }],
      ["QueryLogs: by path prefix /api/orders/4242 (rare)", { ...base, pathPrefix: "/api/orders/4242" }],
      ["QueryLogs: by path prefix /api/ (99 %)", { ...base, pathPrefix: "/api/" }],
      ["QueryLogs: by path prefix /nope (no rows)", { ...base, pathPrefix: "/nope" }],
      ["QueryLogs: one hour 3 days ago", { ...base, fromMs: NOW - 3 * DAY, toMs: NOW - 3 * DAY + 3_600_000 }],
      ["QueryLogs: key + status 429 + method POST", { ...base, keyId: keyId(0, 7), status: 429, method: "POST" }],
      ["QueryLogs: limit 1000", { ...base, limit: 1000 }],
    ];
    for (const [title, q] of queries) await explain(client, title, queryLogsSql(q));
    await explain(client, "GetLog: a request id 3.5 days back", getLogSql(BIG, mid.rows[0]!.request_id));
    await explain(client, "GetLog: unknown request id", getLogSql(BIG, "req-does-not-exist"));
    for (const [title, q] of usageQueries()) await explain(client, title, usageSql(q));
    const batch = syntheticBatch(1000);
    await client.query("BEGIN");
    // COPY has no plan to EXPLAIN: its time is what there is to see.
    const copyStarted = performance.now();
    await copyLogs(client, batch);
    log(`\n### AppendLogs: COPY of a 1,000-record batch (rolled back)\n\n    ${(performance.now() - copyStarted).toFixed(1)} ms`);
    await explain(client, "AppendLogs: minute usage upsert of the same batch (rolled back)", upsertUsageSql(rollupByMinute(batch), "minute"));
    await explain(client, "AppendLogs: hour usage upsert of the same batch (rolled back)", upsertUsageSql(rollupByMinute(batch, 3_600_000), "hour"));
    await client.query("ROLLBACK");
    log(`\ndone in ${elapsed(t0)}`);
  } finally {
    await client.end().catch(() => {});
    await pool.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
