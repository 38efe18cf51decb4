/**
 * protobuf → JSON shapes of the `/v1` API (docs/api/openapi.yaml): camelCase, ISO-8601 timestamps,
 * `null` for absent optional values, `metadata: {}` by default. 64-bit integers arrive from
 * protobuf-es as bigint and leave as JSON numbers (they are counts and sizes, far below 2^53).
 */
import type { KeyJson } from "@datahub/runtime";
import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { auth, audit } from "@datahub/proto";

/** ISO-8601 (UTC) of a protobuf timestamp, or null when absent. */
export function isoOrNull(ts: Timestamp | undefined): string | null {
  return ts ? new Date(timestampMs(ts)).toISOString() : null;
}

/** ISO-8601 (UTC) of unix milliseconds. */
function isoFromMs(ms: number | bigint): string {
  return new Date(Number(ms)).toISOString();
}

/** "" (proto3's absent string) as JSON null. */
export const nullIfEmpty = (s: string): string | null => (s === "" ? null : s);

/** JSON shape of an org. */
export interface OrgJson {
  id: string;
  name: string;
  createdAt: string | null;
}

/** `{id, name, createdAt}`. */
export function orgJson(o: auth.Org): OrgJson {
  return { id: o.id, name: o.name, createdAt: isoOrNull(o.createdAt) };
}


/**
 * A key without its secret (GET, PATCH, list), in the KeyJson shape auth's key.* events share;
 * `rateLimit.algorithm: null` means the gateway default.
 */
export function keyJson(k: auth.ApiKey): KeyJson {
  return {
    id: k.id,
    prefix: k.prefix,
    name: k.name,
    scopes: [...k.scopes],
    orgId: k.orgId,
    metadata: k.metadata ?? {},
    expiresAt: isoOrNull(k.expiresAt),
    rateLimit: k.rateLimit
      ? { limit: Number(k.rateLimit.limit), windowSeconds: Number(k.rateLimit.windowSeconds), algorithm: nullIfEmpty(k.rateLimit.algorithm) }
      : null,
    createdAt: isoOrNull(k.createdAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    revoked: k.revoked,
  };
}

/** A new or rotated key with its secret: `{id, key, prefix, ...}` (the only place the secret appears). */
export function keyWithSecretJson(k: auth.ApiKey, secret: string): KeyJson & { key: string } {
  const { id, ...rest } = keyJson(k);
  return { id, key: secret, ...rest };
}

/** JSON shape of a request-log record. */
export interface LogJson {
  requestId: string;
  timestamp: string;
  method: string;
  path: string;
  route: string | null;
  status: number;
  durationMs: number;
  gatewayMs: number;
  keyId: string | null;
  orgId: string | null;
  clientIp: string;
  userAgent: string | null;
  bytesIn: number;
  bytesOut: number;
  traceId: string | null;
  error: string | null;
}

/** One request-log record; empty strings (no route matched, no key, no user agent) become null. */
export function logJson(r: audit.LogRecord): LogJson {
  return {
    requestId: r.requestId,
    timestamp: isoFromMs(r.timestampMs),
    method: r.method,
    path: r.path,
    route: nullIfEmpty(r.route),
    status: r.status,
    durationMs: r.durationMs,
    gatewayMs: r.gatewayMs,
    keyId: nullIfEmpty(r.keyId),
    orgId: nullIfEmpty(r.orgId),
    clientIp: r.clientIp,
    userAgent: nullIfEmpty(r.userAgent),
    bytesIn: Number(r.bytesIn),
    bytesOut: Number(r.bytesOut),
    traceId: nullIfEmpty(r.traceId),
    error: nullIfEmpty(r.error),
  };
}

/** JSON shape of one usage bucket. */
export interface UsageJson {
  bucket: string;
  requests: number;
  errors: number;
  rateLimited: number;
  p50Ms: number;
  p95Ms: number;
}

/** One usage bucket; `bucket` is the ISO-8601 start of the bucket. */
export function usageJson(b: audit.UsageBucket): UsageJson {
  return {
    bucket: isoFromMs(b.bucketMs),
    requests: Number(b.requests),
    errors: Number(b.errors),
    rateLimited: Number(b.rateLimited),
    p50Ms: b.p50Ms,
    p95Ms: b.p95Ms,
  };
}

/** `nextCursor` is null on the last page. */
export const cursorJson = (c: string): string | null => nullIfEmpty(c);
