import { decodeCursor as decodeTuple, encodeCursor as encodeTuple, jsonValueTooDeep, MAX_JSON_DEPTH, SCOPE_RE } from "@datahub/runtime";
import { ValidationError } from "./errors";
import { RATE_LIMIT_ALGORITHMS, type JsonObject, type RateLimitAlgorithm, type RateLimitPolicy } from "./types";

/** Limits on what a key may carry; exported so callers (edge, CLI) can document them. */
export const KEY_LIMITS = {
  nameMaxChars: 200,
  maxScopes: 50,
  scopeMaxChars: 100,
  metadataMaxBytes: 4096,
  rateLimitMax: 1e9,
  windowSecondsMax: 86_400,
  listDefault: 50,
  listMax: 100,
  maxGraceSeconds: 7 * 24 * 3600,
} as const;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A name of 1-200 characters (after trimming). */
export function validName(name: unknown, field = "name"): string {
  if (typeof name !== "string") throw new ValidationError(field, "is required");
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new ValidationError(field, "must not be empty");
  if (trimmed.length > KEY_LIMITS.nameMaxChars) throw new ValidationError(field, `must be at most ${KEY_LIMITS.nameMaxChars} characters`);
  return trimmed;
}

/** A UUID (object ids). */
export function validId(id: unknown, field: string): string {
  if (typeof id !== "string" || id === "") throw new ValidationError(field, "is required");
  if (!UUID_RE.test(id)) throw new ValidationError(field, "must be a UUID");
  return id.toLowerCase();
}

/** Up to 50 scopes, each matching the scope grammar; duplicates are dropped. */
export function validScopes(scopes: unknown, field = "scopes"): string[] {
  if (!Array.isArray(scopes)) throw new ValidationError(field, "must be a list of strings");
  if (scopes.length > KEY_LIMITS.maxScopes) throw new ValidationError(field, `must hold at most ${KEY_LIMITS.maxScopes} scopes`);
  scopes.forEach((s, i) => {
    if (typeof s !== "string" || s.length > KEY_LIMITS.scopeMaxChars || !SCOPE_RE.test(s)) {
      throw new ValidationError(`${field}[${i}]`, `"${String(s).slice(0, 40)}" is not a scope (expected "*", "name", "name:action" or "name:*" of [a-z0-9_.-])`);
    }
  });
  return [...new Set(scopes as string[])];
}

/**
 * A JSON object whose serialized form is at most 4 KiB and that nests at most MAX_JSON_DEPTH
 * levels, the edge's limit for client JSON: a deeper object would no longer fit in the messages
 * that carry it later (responses, `key.*` events; docs/security.md).
 */
export function validMetadata(metadata: unknown, field = "metadata"): JsonObject {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new ValidationError(field, "must be a JSON object");
  if (jsonValueTooDeep(metadata, MAX_JSON_DEPTH)) throw new ValidationError(field, `must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`);
  let text: string;
  try {
    text = JSON.stringify(metadata);
  } catch {
    throw new ValidationError(field, "must be serializable as JSON");
  }
  if (Buffer.byteLength(text, "utf8") > KEY_LIMITS.metadataMaxBytes) {
    throw new ValidationError(field, `must be at most ${KEY_LIMITS.metadataMaxBytes} bytes as JSON`);
  }
  return JSON.parse(text) as JsonObject;
}

/** A point in time after `nowMs`. */
export function validFutureDate(value: unknown, nowMs: number, field = "expiresAt"): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new ValidationError(field, "must be a timestamp");
  if (value.getTime() <= nowMs) throw new ValidationError(field, "must be in the future");
  return value;
}

function intIn(v: unknown, min: number, max: number, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ValidationError(field, `must be an integer from ${min} to ${max}`);
  return v;
}

/** What the rate limiter will accept, so that a key is refused here rather than never enforced. */
export interface RateLimitCaps {
  /** `config.ratelimit.maxLogLimit`: the largest sliding-log limit. */
  maxLogLimit: number;
  /** `config.ratelimit.defaultAlgorithm`: what an empty `algorithm` means. */
  defaultAlgorithm: string;
}

/**
 * A rate-limit policy: limit 1..1e9 (sliding log: 1..`caps.maxLogLimit`), windowSeconds 1..86400,
 * a known algorithm or "".
 */
export function validRateLimit(rl: unknown, field = "rateLimit", caps?: RateLimitCaps): RateLimitPolicy {
  if (typeof rl !== "object" || rl === null) throw new ValidationError(field, "must be an object");
  const r = rl as Record<string, unknown>;
  const algorithm = r.algorithm ?? "";
  if (typeof algorithm !== "string" || !(RATE_LIMIT_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new ValidationError(`${field}.algorithm`, `must be one of ${RATE_LIMIT_ALGORITHMS.filter(Boolean).join(", ")} (or empty for the default)`);
  }
  const slidingLog = caps !== undefined && (algorithm || caps.defaultAlgorithm) === "sliding-log";
  return {
    limit: intIn(r.limit, 1, slidingLog ? caps.maxLogLimit : KEY_LIMITS.rateLimitMax, `${field}.limit`),
    windowSeconds: intIn(r.windowSeconds, 1, KEY_LIMITS.windowSecondsMax, `${field}.windowSeconds`),
    algorithm: algorithm as RateLimitAlgorithm,
  };
}

/** Page size: 0/undefined → 50; otherwise 1..100. */
export function validLimit(limit: unknown): number {
  if (limit === undefined || limit === 0) return KEY_LIMITS.listDefault;
  return intIn(limit, 1, KEY_LIMITS.listMax, "limit");
}

/** Key search text: undefined/"" → no filter; otherwise at most 100 characters, trimmed. */
export function validSearch(search: unknown): string | undefined {
  if (search === undefined || search === "") return undefined;
  if (typeof search !== "string") throw new ValidationError("search", "must be a string");
  const s = search.trim();
  if (s.length > 100) throw new ValidationError("search", "must be at most 100 characters");
  return s === "" ? undefined : s;
}

/** Rotation grace: 0 (default) .. 7 days, in seconds. */
export function validGrace(seconds: unknown): number {
  if (seconds === undefined) return 0;
  return intIn(seconds, 0, KEY_LIMITS.maxGraceSeconds, "gracePeriodSeconds");
}

/** Position in a key list: the (createdAt, id) of the last key of the previous page. */
export interface ListPosition {
  createdAt: Date;
  id: string;
}

/** Encodes a list position as an opaque cursor. */
export function encodeCursor(pos: ListPosition): string {
  return encodeTuple([pos.createdAt.getTime(), pos.id]);
}

/** Decodes a cursor made by {@link encodeCursor}; "" means the first page. */
export function decodeCursor(cursor: string | undefined): ListPosition | undefined {
  if (!cursor) return undefined;
  const v = decodeTuple(cursor, 2);
  if (v !== undefined && Number.isInteger(v[0]) && typeof v[1] === "string" && UUID_RE.test(v[1])) {
    return { createdAt: new Date(v[0] as number), id: v[1] };
  }
  throw new ValidationError("cursor", "is not a cursor returned by a previous list call");
}
