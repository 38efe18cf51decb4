import { GrpcStatus, RpcError } from "@datahub/runtime";
import { audit } from "@datahub/proto";
import { decodeCursor } from "./cursor";
import { GRANULARITY_MS, MAX_USAGE_BUCKETS } from "./usage";
import type { Granularity, LogEntry, LogQuery, UsageQuery } from "./store/types";

/** Most records one AppendLogs call may carry. */
export const MAX_BATCH = 10_000;
/** Page size when the caller does not ask for one, and the most it may ask for. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/** Longest stored value of each free-text field; longer values are cut, not rejected. */
export const MAX_LENGTHS = { path: 2048, route: 256, userAgent: 512, clientIp: 64, traceId: 64, error: 256 } as const;
const MAX_ID = 128;
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;

/** 10000-01-01T00:00:00Z: later instants have no ISO 8601 form that Postgres reads (and no business in a log). */
const MAX_TIMESTAMP_MS = 253_402_300_800_000;

const invalid = (message: string) => new RpcError(GrpcStatus.INVALID_ARGUMENT, message);

/** Cuts `s` to `max` UTF-16 units without leaving half a surrogate pair; drops NULs (Postgres text rejects them). */
export function clean(s: string, max: number): string {
  let out = s.includes("\u0000") ? s.replace(/\u0000/g, "") : s;
  if (out.length > max) {
    out = out.slice(0, max);
    const last = out.charCodeAt(out.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
  }
  return out;
}

const nonNegative = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);

/**
 * Validates and normalizes one record from AppendLogs. Returns the record to store, or a reason
 * when it cannot be stored (the caller skips it and keeps the rest of the batch).
 */
export function normalizeRecord(r: audit.LogRecord): { entry: LogEntry } | { reason: string } {
  const timestampMs = Number(r.timestampMs);
  if (!r.requestId || r.requestId.length > MAX_ID) return { reason: "request_id must be 1-128 characters" };
  if (!Number.isSafeInteger(timestampMs) || timestampMs <= 0 || timestampMs >= MAX_TIMESTAMP_MS) return { reason: "timestamp_ms must be a positive integer before the year 10000" };
  if (!METHOD.test(r.method)) return { reason: "method must be an HTTP method token" };
  if (!Number.isInteger(r.status) || r.status < 100 || r.status > 599) return { reason: "status must be 100-599" };
  if (r.orgId.length > MAX_ID || r.keyId.length > MAX_ID) return { reason: "org_id and key_id must be at most 128 characters" };
  return {
    entry: {
      requestId: clean(r.requestId, MAX_ID),
      timestampMs,
      method: r.method.toUpperCase(),
      path: clean(r.path, MAX_LENGTHS.path),
      route: clean(r.route, MAX_LENGTHS.route),
      status: r.status,
      durationMs: nonNegative(r.durationMs),
      gatewayMs: nonNegative(r.gatewayMs),
      keyId: clean(r.keyId, MAX_ID),
      orgId: clean(r.orgId, MAX_ID),
      clientIp: clean(r.clientIp, MAX_LENGTHS.clientIp),
      userAgent: clean(r.userAgent, MAX_LENGTHS.userAgent),
      bytesIn: Math.trunc(nonNegative(Number(r.bytesIn))),
      bytesOut: Math.trunc(nonNegative(Number(r.bytesOut))),
      traceId: clean(r.traceId, MAX_LENGTHS.traceId),
      error: clean(r.error, MAX_LENGTHS.error),
    },
  };
}

function requireOrg(orgId: string): string {
  if (!orgId) throw invalid("org_id is required");
  if (orgId.length > MAX_ID) throw invalid("org_id must be at most 128 characters");
  return orgId;
}

function timeBound(name: string, raw: bigint): number | undefined {
  const v = Number(raw);
  if (v === 0) return undefined;
  if (!Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be a non-negative integer (Unix ms)`);
  return v;
}

/** Validates a QueryLogs request. @throws RpcError INVALID_ARGUMENT naming the field. */
export function parseLogQuery(req: audit.QueryLogsRequest): LogQuery {
  const q: LogQuery = { orgId: requireOrg(req.orgId), limit: req.limit === 0 ? DEFAULT_LIMIT : req.limit };
  if (q.limit < 1 || q.limit > MAX_LIMIT) throw invalid(`limit must be 1-${MAX_LIMIT}`);
  if (req.keyId) {
    if (req.keyId.length > MAX_ID) throw invalid("key_id must be at most 128 characters");
    q.keyId = req.keyId;
  }
  if (req.status !== 0) {
    if (req.status < 100 || req.status > 599) throw invalid("status must be 100-599");
    q.status = req.status;
  }
  if (req.method) {
    if (!METHOD.test(req.method)) throw invalid("method must be an HTTP method token");
    q.method = req.method.toUpperCase();
  }
  if (req.pathPrefix) {
    if (req.pathPrefix.length > MAX_LENGTHS.path) throw invalid(`path_prefix must be at most ${MAX_LENGTHS.path} characters`);
    if (req.pathPrefix.includes("\u0000")) throw invalid("path_prefix must not contain NUL");
    q.pathPrefix = req.pathPrefix;
  }
  q.fromMs = timeBound("from_ms", req.fromMs);
  q.toMs = timeBound("to_ms", req.toMs);
  if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs >= q.toMs) throw invalid("from_ms must be before to_ms");
  if (req.cursor) {
    const c = decodeCursor(req.cursor);
    if (!c) throw invalid("cursor is not a cursor returned by QueryLogs");
    q.cursor = c;
  }
  return q;
}

/** Validates a GetLog request. */
export function parseGetLog(req: audit.GetLogRequest): { orgId: string; requestId: string } {
  const orgId = requireOrg(req.orgId);
  if (!req.requestId || req.requestId.length > MAX_ID) throw invalid("request_id must be 1-128 characters");
  return { orgId, requestId: req.requestId };
}

const GRANULARITIES: Record<number, Granularity> = {
  [audit.Granularity.UNSPECIFIED]: "hour",
  [audit.Granularity.MINUTE]: "minute",
  [audit.Granularity.HOUR]: "hour",
  [audit.Granularity.DAY]: "day",
};

/**
 * Validates a GetUsage request: defaults to the last 24 hours by hour, widens the range to whole
 * buckets and refuses more than {@link MAX_USAGE_BUCKETS} buckets.
 */
export function parseUsageQuery(req: audit.GetUsageRequest, nowMs: number): UsageQuery {
  const orgId = requireOrg(req.orgId);
  const granularity = GRANULARITIES[req.granularity];
  if (!granularity) throw invalid("granularity must be MINUTE, HOUR or DAY");
  const to = timeBound("to_ms", req.toMs) ?? nowMs;
  const from = timeBound("from_ms", req.fromMs) ?? to - 86_400_000;
  if (from >= to) throw invalid("from_ms must be before to_ms");
  const step = GRANULARITY_MS[granularity];
  const fromMs = Math.floor(from / step) * step;
  const toMs = Math.ceil(to / step) * step;
  if ((toMs - fromMs) / step > MAX_USAGE_BUCKETS) {
    throw invalid(`from_ms..to_ms spans more than ${MAX_USAGE_BUCKETS} ${granularity} buckets; use a coarser granularity`);
  }
  const q: UsageQuery = { orgId, fromMs, toMs, granularity };
  if (req.keyId) {
    if (req.keyId.length > MAX_ID) throw invalid("key_id must be at most 128 characters");
    q.keyId = req.keyId;
  }
  return q;
}
