/**
 * Every SQL statement PgLogStore issues besides the COPY of new rows (copy-logs.ts), as builders,
 * so scripts/explain-10m.ts can EXPLAIN the exact text the store runs. Timestamps cross the wire as Unix ms (float8) and are converted with
 * `to_timestamp(ms / 1000)`, an immutable function, so partition pruning happens at plan time.
 */
import { BUCKET_COUNT } from "../histogram";
import { GRANULARITY_MS, type MinuteRollup } from "../usage";
import type { LogEntry, LogQuery, UsageQuery } from "./types";

/** A parameterized statement. */
export interface Sql {
  text: string;
  values: unknown[];
}

/** Columns of a LogEntry, in the order `rowToEntry` reads them. */
const SELECT_COLUMNS = `round(extract(epoch FROM ts) * 1000)::bigint AS ts_ms, id, org_id, key_id, request_id, method, path,
  route, status, duration_ms, gateway_ms, client_ip, user_agent, bytes_in, bytes_out, trace_id, error`;

const ms = (param: number) => `to_timestamp($${param}::float8 / 1000)`;

/** The rollup tables: minute rows answer MINUTE usage, hour rows answer HOUR and DAY usage. */
export const ROLLUP_TABLES = {
  minute: { table: "audit.usage_minute", column: "minute", periodMs: 60_000 },
  hour: { table: "audit.usage_hour", column: "hour", periodMs: 3_600_000 },
} as const;
export type RollupTable = keyof typeof ROLLUP_TABLES;

/** Adds a batch's rollups to `audit.usage_minute` or `audit.usage_hour` (counts and histogram buckets summed). */
export function upsertUsageSql(rollups: readonly MinuteRollup[], into: RollupTable = "minute"): Sql {
  const { table, column } = ROLLUP_TABLES[into];
  return {
    text: `INSERT INTO ${table} AS u (org_id, key_id, ${column}, requests, errors, rate_limited, latency_buckets)
SELECT o, k, to_timestamp(m / 1000), r, e, rl, h::bigint[]
FROM unnest($1::text[], $2::text[], $3::float8[], $4::int8[], $5::int8[], $6::int8[], $7::text[]) AS x(o, k, m, r, e, rl, h)
ON CONFLICT (org_id, key_id, ${column}) DO UPDATE SET
  requests = u.requests + EXCLUDED.requests,
  errors = u.errors + EXCLUDED.errors,
  rate_limited = u.rate_limited + EXCLUDED.rate_limited,
  latency_buckets = ARRAY(
    SELECT coalesce(a, 0) + coalesce(b, 0)
    FROM unnest(u.latency_buckets, EXCLUDED.latency_buckets) WITH ORDINALITY AS t(a, b, i) ORDER BY i)`,
    values: [
      rollups.map((r) => r.orgId),
      rollups.map((r) => r.keyId),
      rollups.map((r) => r.minuteMs),
      rollups.map((r) => r.requests),
      rollups.map((r) => r.errors),
      rollups.map((r) => r.rateLimited),
      rollups.map((r) => `{${r.latency.join(",")}}`),
    ],
  };
}

/** Escapes LIKE's wildcards so a path prefix matches literally (backslash is LIKE's default escape). */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + "%";
}

/**
 * One page of a log query, newest first. Fetches `limit + 1` rows: the extra row only tells
 * whether a next page exists. The redundant `ts <= cursor` lets the planner prune partitions,
 * which it cannot do from the row comparison alone.
 */
export function queryLogsSql(q: LogQuery): Sql {
  const values: unknown[] = [q.orgId];
  const where = ["org_id = $1"];
  const add = (v: unknown, clause: (n: number) => string) => {
    values.push(v);
    where.push(clause(values.length));
  };
  if (q.keyId !== undefined) add(q.keyId, (n) => `key_id = $${n}`);
  if (q.status !== undefined) add(q.status, (n) => `status = $${n}`);
  if (q.method !== undefined) add(q.method, (n) => `method = $${n}`);
  if (q.pathPrefix !== undefined) add(likePrefix(q.pathPrefix), (n) => `path LIKE $${n}`);
  if (q.fromMs !== undefined) add(q.fromMs, (n) => `ts >= ${ms(n)}`);
  if (q.toMs !== undefined) add(q.toMs, (n) => `ts < ${ms(n)}`);
  if (q.cursor) {
    add(q.cursor.tsMs, (n) => `ts <= ${ms(n)}`);
    const tsParam = values.length;
    add(q.cursor.id, (n) => `(ts, id) < (${ms(tsParam)}, $${n}::bigint)`);
  }
  values.push(q.limit + 1);
  return {
    text: `SELECT ${SELECT_COLUMNS}
FROM audit.request_logs
WHERE ${where.join(" AND ")}
ORDER BY ts DESC, id DESC
LIMIT $${values.length}`,
    values,
  };
}

/** The newest record with a request id in an org (request ids repeat when clients reuse them). */
export function getLogSql(orgId: string, requestId: string): Sql {
  return {
    text: `SELECT ${SELECT_COLUMNS}
FROM audit.request_logs
WHERE org_id = $1 AND request_id = $2
ORDER BY ts DESC, id DESC
LIMIT 1`,
    values: [orgId, requestId],
  };
}

/**
 * Usage buckets from the rollups (minute rows for MINUTE, hour rows for HOUR and DAY): counts
 * summed, histograms summed element-wise with one sum() per bucket index (unnesting the arrays
 * instead cost seconds at 10 M rows, see docs/audit.md). Sparse; the store fills the gaps.
 */
export function usageSql(q: UsageQuery): Sql {
  const { table, column } = ROLLUP_TABLES[q.granularity === "minute" ? "minute" : "hour"];
  const values: unknown[] = [q.orgId, q.fromMs, q.toMs, `${GRANULARITY_MS[q.granularity] / 1000} seconds`];
  let keyFilter = "";
  if (q.keyId !== undefined) {
    values.push(q.keyId);
    keyFilter = ` AND key_id = $${values.length}`;
  }
  const sums = Array.from({ length: BUCKET_COUNT }, (_, i) => `sum(latency_buckets[${i + 1}])`).join(", ");
  return {
    text: `SELECT round(extract(epoch FROM date_bin($4::interval, ${column}, timestamptz 'epoch')) * 1000)::bigint AS bucket_ms,
  sum(requests)::bigint AS requests, sum(errors)::bigint AS errors, sum(rate_limited)::bigint AS rate_limited,
  ARRAY[${sums}]::bigint[] AS latency
FROM ${table}
WHERE org_id = $1 AND ${column} >= ${ms(2)} AND ${column} < ${ms(3)}${keyFilter}
GROUP BY 1
ORDER BY 1`,
    values,
  };
}
