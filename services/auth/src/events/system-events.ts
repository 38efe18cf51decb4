/**
 * System events of the auth service (docs/reference/api-keys.md, "Lifecycle"): `key.created`, `key.updated`, `key.revoked`,
 * `key.rotated`. Their `data` is the key as the `/v1/keys` API shows it — never the key itself
 * nor its hash — so a receiver sees the same shape in an event as in `GET /v1/keys/{id}`.
 */
import { newId, type KeyJson, type SystemEventType } from "@datahub/runtime";
import type { ApiKeyInfo, JsonObject, StoredKey } from "../types";

/** The key event types auth emits. */
export type KeyEventType = Extract<SystemEventType, `key.${string}`>;

/** One event to publish: written to the outbox with the change it describes. */
export interface SystemEvent {
  /** Outbox row id; also the idempotency key of the publish (retries and replicas dedupe on it). */
  id: string;
  orgId: string;
  type: KeyEventType;
  data: JsonObject;
  createdAt: Date;
}

/**
 * Builds the event of a key change from the row the change produced (inside the store's
 * transaction); null when the change deserves no event (e.g. revoking a revoked key).
 */
export type EventFactory = (changed: StoredKey) => SystemEvent | null;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The `/v1/keys` JSON shape of a key (no secret, no hash): the same KeyJson the edge answers with. */
export function keyEventData(k: ApiKeyInfo): JsonObject {
  const json: KeyJson = {
    id: k.id,
    prefix: k.prefix,
    name: k.name,
    scopes: [...k.scopes],
    orgId: k.orgId,
    metadata: k.metadata,
    expiresAt: iso(k.expiresAt),
    rateLimit: k.rateLimit ? { limit: k.rateLimit.limit, windowSeconds: k.rateLimit.windowSeconds, algorithm: k.rateLimit.algorithm || null } : null,
    createdAt: iso(k.createdAt),
    lastUsedAt: iso(k.lastUsedAt),
    revoked: k.revokedAt !== null,
  };
  return json as unknown as JsonObject;
}

/** A key event about `k`; `extra` adds fields to `data` (e.g. `previousKeyId` of a rotation). */
export function keyEvent(type: KeyEventType, k: ApiKeyInfo, now: number, extra: JsonObject = {}): SystemEvent {
  return { id: newId(), orgId: k.orgId, type, data: { ...keyEventData(k), ...extra }, createdAt: new Date(now) };
}
