import type { Pool } from "pg";
import { withTransaction } from "@datahub/runtime";
import { denseBuckets, rollupByMinute, type BucketSums } from "../usage";
import { copyLogs } from "./copy-logs";
import { getLogSql, queryLogsSql, upsertUsageSql, usageSql } from "./sql";
import type { LogEntry, LogPage, LogQuery, LogStore, UsageBucket, UsageQuery } from "./types";

interface LogRow {
  ts_ms: number;
  id: number;
  org_id: string;
  key_id: string;
  request_id: string;
  method: string;
  path: string;
  route: string;
  status: number;
  duration_ms: number;
  gateway_ms: number;
  client_ip: string;
  user_agent: string;
  bytes_in: number;
  bytes_out: number;
  trace_id: string;
  error: string;
}

function rowToEntry(r: LogRow): LogEntry {
  return {
    requestId: r.request_id,
    timestampMs: Number(r.ts_ms),
    method: r.method,
    path: r.path,
    route: r.route,
    status: r.status,
    durationMs: r.duration_ms,
    gatewayMs: r.gateway_ms,
    keyId: r.key_id,
    orgId: r.org_id,
    clientIp: r.client_ip,
    userAgent: r.user_agent,
    bytesIn: Number(r.bytes_in),
    bytesOut: Number(r.bytes_out),
    traceId: r.trace_id,
    error: r.error,
  };
}

/**
 * The Postgres {@link LogStore}: raw rows in the day-partitioned `audit.request_logs`, usage in
 * `audit.usage_minute`. Errors from pg propagate unchanged; the RPC layer maps connection
 * failures and timeouts to UNAVAILABLE (see errors.ts).
 */
export class PgLogStore implements LogStore {
  constructor(private readonly pool: Pool) {}

  /** Copies the batch in (copy-logs.ts) and upserts its minute and hour rollups, in one transaction. */
  async append(records: LogEntry[]): Promise<number> {
    if (records.length === 0) return 0;
    return withTransaction(this.pool, async (client) => {
      await copyLogs(client, records);
      await client.query(upsertUsageSql(rollupByMinute(records), "minute"));
      await client.query(upsertUsageSql(rollupByMinute(records, 3_600_000), "hour"));
      return records.length;
    });
  }

  async query(q: LogQuery): Promise<LogPage> {
    const { rows } = await this.pool.query<LogRow>(queryLogsSql(q));
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return {
      records: page.map(rowToEntry),
      nextCursor: more && last ? { tsMs: Number(last.ts_ms), id: Number(last.id) } : undefined,
    };
  }

  async get(orgId: string, requestId: string): Promise<LogEntry | undefined> {
    const { rows } = await this.pool.query<LogRow>(getLogSql(orgId, requestId));
    return rows[0] ? rowToEntry(rows[0]) : undefined;
  }

  async usage(q: UsageQuery): Promise<UsageBucket[]> {
    const { rows } = await this.pool.query<{ bucket_ms: number; requests: number; errors: number; rate_limited: number; latency: unknown[] }>(
      usageSql(q),
    );
    const sums: BucketSums[] = rows.map((r) => ({
      bucketMs: Number(r.bucket_ms),
      requests: Number(r.requests),
      errors: Number(r.errors),
      rateLimited: Number(r.rate_limited),
      latency: r.latency.map(Number),
    }));
    return denseBuckets(q.fromMs, q.toMs, q.granularity, sums);
  }
}
