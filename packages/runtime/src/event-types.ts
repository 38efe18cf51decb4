/**
 * Webhook event type grammar, shared by the edge (400 on bad input) and the services that
 * publish or match events. A type is dot-separated segments (`order.created`); an endpoint
 * subscribes with exact types, `prefix.*` (every type under the prefix) or `*` (everything).
 */

/** An event type: 1–128 characters of dot-separated lowercase `[a-z0-9_-]` segments, e.g. `order.created`. */
export const EVENT_TYPE_RE = /^(?=.{1,128}$)[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/** A subscription pattern: `*`, an exact type, or a type followed by `.*`. */
export const EVENT_PATTERN_RE = /^(?=.{1,130}$)(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$/;

/**
 * Types DataHub itself emits (docs/reference/http-api.md, "Endpoints"). `POST /v1/events` refuses them, so a receiver can
 * trust that a `key.revoked` really comes from the gateway and not from an API caller.
 */
export const SYSTEM_EVENT_TYPES = ["key.created", "key.updated", "key.revoked", "key.rotated", "ratelimit.exceeded", "webhook.endpoint.disabled", "webhook.test"] as const;
export type SystemEventType = (typeof SYSTEM_EVENT_TYPES)[number];

/** True when `type` is one of {@link SYSTEM_EVENT_TYPES}. */
export function isSystemEventType(type: string): type is SystemEventType {
  return (SYSTEM_EVENT_TYPES as readonly string[]).includes(type);
}

/** True when an endpoint subscribed with `pattern` receives events of `type`. */
export function eventMatches(pattern: string, type: string): boolean {
  if (pattern === "*" || pattern === type) return true;
  return pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1));
}
