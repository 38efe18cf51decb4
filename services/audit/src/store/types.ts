/** One request log record as stored and returned (the fields of `datahub.audit.v1.LogRecord`). */
export interface LogEntry {
  requestId: string;
  /** Unix ms when the request arrived. */
  timestampMs: number;
  method: string;
  path: string;
  route: string;
  status: number;
  durationMs: number;
  gatewayMs: number;
  keyId: string;
  orgId: string;
  clientIp: string;
  userAgent: string;
  bytesIn: number;
  bytesOut: number;
  traceId: string;
  error: string;
}

/** Position after the last record of a page: records strictly older in (timestamp, id) order follow. */
export interface Cursor {
  tsMs: number;
  id: number;
}

/** A validated log query: one org, optional filters (ANDed), newest first. */
export interface LogQuery {
  orgId: string;
  keyId?: string;
  status?: number;
  method?: string;
  pathPrefix?: string;
  /** Inclusive. */
  fromMs?: number;
  /** Exclusive. */
  toMs?: number;
  /** 1..1000. */
  limit: number;
  cursor?: Cursor;
}

/** One page of a log query; `nextCursor` is set only when more records follow. */
export interface LogPage {
  records: LogEntry[];
  nextCursor?: Cursor;
}

export type Granularity = "minute" | "hour" | "day";

/** A validated usage query; `fromMs`/`toMs` are already aligned to whole buckets. */
export interface UsageQuery {
  orgId: string;
  keyId?: string;
  fromMs: number;
  toMs: number;
  granularity: Granularity;
}

/** Usage of one bucket; errors = status >= 400 except 429, rateLimited = status 429. */
export interface UsageBucket {
  bucketMs: number;
  requests: number;
  errors: number;
  rateLimited: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * Where request logs and usage rollups live. `PgLogStore` is the real one (partitioned Postgres
 * table + per-minute rollups); `MemoryLogStore` has the same semantics for unit tests.
 */
export interface LogStore {
  /** Stores already-validated records and their usage rollups atomically; returns how many were stored. */
  append(records: LogEntry[]): Promise<number>;
  /** Newest-first page of one org's records matching every filter. */
  query(q: LogQuery): Promise<LogPage>;
  /** Newest record with this request id in this org. */
  get(orgId: string, requestId: string): Promise<LogEntry | undefined>;
  /** Dense usage buckets, oldest first, from the per-minute rollups. */
  usage(q: UsageQuery): Promise<UsageBucket[]>;
}
