import type { EventFactory } from "../events/system-events";
import type { JsonObject, Org, RateLimitPolicy, StoredKey } from "../types";
import type { ListPosition } from "../validation";

/** Fields an update may change; `null` clears expiry or rate limit, `undefined` leaves a field alone. */
export interface KeyPatch {
  name?: string;
  scopes?: string[];
  metadata?: JsonObject;
  expiresAt?: Date | null;
  rateLimit?: RateLimitPolicy | null;
}

/** How the old key of a rotation ends: revoked now, or valid until `expiresAt`. */
export type RotationEnd = { revokedAt: Date } | { expiresAt: Date };

/**
 * Persistence of orgs and keys. Every key call is scoped by org id: a key of another org does not
 * exist for the caller. Implementations: PgKeyStore (Postgres schema `auth`) and MemoryKeyStore
 * (unit tests). Store errors meaning "the database is unreachable" are StoreUnavailableError.
 *
 * The changing calls take an optional {@link EventFactory}: the event it builds from the changed
 * row is written to the event outbox atomically with the change (both or neither).
 */
export interface KeyStore {
  insertOrg(org: Org): Promise<void>;
  /** Creates the org named `root` unless it exists; returns the one that exists (race-safe). */
  ensureRootOrg(candidate: Org): Promise<Org>;
  /** Every org, oldest first. */
  listOrgs(): Promise<Org[]>;

  /** @throws NotFoundError when `key.orgId` does not exist. */
  insertKey(key: StoredKey, event?: EventFactory): Promise<void>;
  /** Inserts a root key unless an active root key (or this hash) already exists; true when inserted. */
  insertRootKeyIfAbsent(key: StoredKey): Promise<boolean>;
  /** The active root key without an end date, if any. */
  findActiveRootKey(): Promise<StoredKey | null>;

  getKey(orgId: string, id: string): Promise<StoredKey | null>;
  findKeyByHash(keyHash: string): Promise<StoredKey | null>;
  /**
   * Unrevoked keys of an org, newest first (created_at, id descending), strictly after `after`;
   * with `search`, only those whose name contains it (case-insensitive) or whose id it is.
   */
  listKeys(orgId: string, limit: number, after?: ListPosition, search?: string): Promise<StoredKey[]>;

  /** Applies `patch` to an unrevoked key; null when there is no such unrevoked key. */
  updateKey(orgId: string, id: string, patch: KeyPatch, event?: EventFactory): Promise<StoredKey | null>;
  /** Sets revoked_at unless already set; returns the key (revoked before or now) or null when unknown. */
  revokeKey(orgId: string, id: string, at: Date, event?: EventFactory): Promise<StoredKey | null>;
  /**
   * Atomically ends an unrevoked, not yet rotated key and inserts its successor.
   * @returns the old key after the change, or null when it was revoked or rotated meanwhile.
   */
  rotateKey(orgId: string, id: string, successor: StoredKey, end: RotationEnd, event?: EventFactory): Promise<StoredKey | null>;
  /** Records use of a key unless it was recorded less than `minIntervalMs` before `at`. */
  touchKey(id: string, at: Date, minIntervalMs: number): Promise<void>;
}
