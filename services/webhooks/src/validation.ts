import { EVENT_PATTERN_RE, EVENT_TYPE_RE, eventMatches, GrpcStatus, RpcError } from "@datahub/runtime";

/**
 * Input rules of WebhookService. Every refusal is INVALID_ARGUMENT with a message that starts with
 * the field's name, so the edge can turn it into a problem body that points at the field.
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRACEPARENT_RE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const MAX_TYPE_LENGTH = 128;
export const MAX_PATTERNS = 64;
export const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
export const MAX_ORG_ID_LENGTH = 128;

/** An INVALID_ARGUMENT naming `field`. */
export function invalid(field: string, message: string): RpcError {
  return new RpcError(GrpcStatus.INVALID_ARGUMENT, `${field}: ${message}`);
}

/** org_id is set by the edge from the caller's key; empty means a caller bug. */
export function requireOrgId(orgId: string): string {
  if (!orgId || orgId.length > MAX_ORG_ID_LENGTH) throw invalid("org_id", "is required (at most 128 characters)");
  return orgId;
}

/** True when `id` can be an id of ours; anything else cannot exist, so callers answer NOT_FOUND. */
export function isUuid(id: string): boolean {
  return UUID_RE.test(id);
}

/** An event type as published: `order.created` (lowercase segments of [a-z0-9_-] joined by dots). */
export function validateEventType(type: string, field = "type"): string {
  if (!type) throw invalid(field, "is required");
  // The one grammar the edge checks too (packages/runtime/src/event-types.ts).
  if (!EVENT_TYPE_RE.test(type)) {
    throw invalid(field, `"${type.slice(0, MAX_TYPE_LENGTH)}" is not an event type: expected dot-separated segments of [a-z0-9_-], at most ${MAX_TYPE_LENGTH} characters`);
  }
  return type;
}

/** An endpoint's subscriptions: non-empty, each `*`, an exact type or `prefix.*`; duplicates dropped. */
export function validatePatterns(events: string[], field = "events"): string[] {
  if (events.length === 0) throw invalid(field, "at least one event type or pattern is required");
  if (events.length > MAX_PATTERNS) throw invalid(field, `at most ${MAX_PATTERNS} entries`);
  for (const [i, p] of events.entries()) {
    if (EVENT_PATTERN_RE.test(p)) continue;
    throw invalid(`${field}[${i}]`, `"${p.slice(0, MAX_TYPE_LENGTH)}" is not a pattern: expected "*", an exact type like "order.created" or a prefix like "order.*"`);
  }
  return [...new Set(events)];
}

/** Every stored pattern that matches `type`: `*`, the type itself, and `a.*`, `a.b.*` … for its prefixes. */
export function patternsMatching(type: string): string[] {
  const parts = type.split(".");
  const out = ["*", type];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(".") + ".*");
  return out;
}

/** True when one of `patterns` matches `type` (the runtime's rule, which {@link patternsMatching} enumerates). */
export function matches(patterns: string[], type: string): boolean {
  return patterns.some((p) => eventMatches(p, type));
}

/** `rate_limit_per_second`: 0 (the service default) up to `max`. */
export function validateRate(rate: number, max: number): number {
  if (!Number.isInteger(rate) || rate < 0 || rate > max) throw invalid("rate_limit_per_second", `expected 0 (service default) to ${max}, got ${rate}`);
  return rate;
}

/** A description: at most 1024 characters. */
export function validateDescription(d: string): string {
  if (d.length > MAX_DESCRIPTION_LENGTH) throw invalid("description", `at most ${MAX_DESCRIPTION_LENGTH} characters`);
  return d;
}

/** A W3C traceparent is carried into delivery headers only when well-formed (never an injection vector). */
export function cleanTraceparent(tp: string): string {
  return TRACEPARENT_RE.test(tp) && !tp.startsWith("ff") ? tp : "";
}

/** An idempotency key: at most 256 characters; empty means none. */
export function validateIdempotencyKey(key: string): string | undefined {
  if (!key) return undefined;
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) throw invalid("idempotency_key", `at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  return key;
}
