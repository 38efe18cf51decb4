import { apiKeyPrefix, generateApiKey, hashApiKey, isWellFormedApiKey, newId, type Logger } from "@datahub/runtime";
import { NotFoundError, PreconditionError, ValidationError } from "./errors";
import { keyEvent } from "./events/system-events";
import { judgeKey } from "./judge-key";
import type { InvalidationPublisher } from "./invalidation";
import type { KeyPatch, KeyStore } from "./store/key-store";
import { toInfo, type ApiKeyInfo, type IssuedKey, type JsonObject, type Org, type RateLimitPolicy, type StoredKey, type VerifyResult } from "./types";
import {
  decodeCursor,
  encodeCursor,
  validFutureDate,
  validGrace,
  validId,
  validLimit,
  validMetadata,
  validName,
  validRateLimit,
  type RateLimitCaps,
  validScopes,
  validSearch,
} from "./validation";

/** Input of {@link KeyManager.createKey}. */
export interface CreateKeyInput {
  orgId: string;
  name: string;
  scopes?: string[];
  metadata?: JsonObject;
  expiresAt?: Date | null;
  rateLimit?: RateLimitPolicy | null;
}

/** Input of {@link KeyManager.updateKey}: absent fields stay; `null` clears expiry / rate limit. */
export type UpdateKeyInput = KeyPatch;

/** Options of {@link KeyManager}. */
export interface KeyManagerOptions {
  store: KeyStore;
  publisher: InvalidationPublisher;
  logger: Logger;
  /** Clock in ms; tests move it instead of sleeping. */
  now?: () => number;
  /** Minimum time between two `last_used_at` writes for one key. */
  touchIntervalMs?: number;
  /** What the rate limiter accepts; without it only the generic bounds are checked. */
  rateLimitCaps?: RateLimitCaps;
  /** Called after a change committed a system event to the outbox (wakes the relay). */
  onEvent?: () => void;
}

const TOUCH_MEMORY_MAX = 10_000;

/**
 * Orgs and API keys: validation, lifecycle (create, update, revoke, rotate), verification and
 * invalidation push. Every key call takes the caller's org id; another org's key is NOT_FOUND.
 */
export class KeyManager {
  private readonly store: KeyStore;
  private readonly publisher: InvalidationPublisher;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly touchIntervalMs: number;
  private readonly rateLimitCaps: RateLimitCaps | undefined;
  /** key id → when this process last wrote its last_used_at (throttle). */
  private readonly touched = new Map<string, number>();
  private readonly pendingTouches = new Set<Promise<void>>();
  private readonly onEvent: () => void;

  constructor(opts: KeyManagerOptions) {
    this.onEvent = opts.onEvent ?? (() => {});
    this.store = opts.store;
    this.publisher = opts.publisher;
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.touchIntervalMs = opts.touchIntervalMs ?? 60_000;
    this.rateLimitCaps = opts.rateLimitCaps;
  }

  /** Creates an org. The name `root` is reserved for the bootstrap org. */
  async createOrg(name: string): Promise<Org> {
    const clean = validName(name);
    if (clean === "root") throw new ValidationError("name", `"root" is reserved`);
    const org: Org = { id: newId(), name: clean, createdAt: new Date(this.now()) };
    await this.store.insertOrg(org);
    return org;
  }

  /** Every org, oldest first. */
  listOrgs(): Promise<Org[]> {
    return this.store.listOrgs();
  }

  /** Creates a `dh_` key; the returned `key` is the only time the secret exists outside the caller. */
  async createKey(input: CreateKeyInput): Promise<IssuedKey> {
    const now = this.now();
    const orgId = validId(input.orgId, "orgId");
    const key = generateApiKey("dh");
    const record: StoredKey = {
      id: newId(),
      orgId,
      name: validName(input.name),
      prefix: apiKeyPrefix(key),
      keyHash: hashApiKey(key),
      scopes: validScopes(input.scopes ?? []),
      metadata: validMetadata(input.metadata ?? {}),
      expiresAt: input.expiresAt == null ? null : validFutureDate(input.expiresAt, now),
      rateLimit: input.rateLimit == null ? null : validRateLimit(input.rateLimit, "rateLimit", this.rateLimitCaps),
      root: false,
      createdAt: new Date(now),
      lastUsedAt: null,
      revokedAt: null,
      supersededBy: null,
    };
    await this.store.insertKey(record, (k) => keyEvent("key.created", k, now)).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError(`org ${orgId} not found`) : err;
    });
    this.onEvent();
    // Edges may hold a negative cache entry for this hash; drop it.
    await this.publisher.publish(record.keyHash);
    return { key, apiKey: toInfo(record) };
  }

  /** One key of the org, revoked ones included. */
  async getKey(orgId: string, id: string): Promise<ApiKeyInfo> {
    return toInfo(await this.mustGet(orgId, id));
  }

  /**
   * Unrevoked keys of the org, newest first; `nextCursor` is "" on the last page. `search` keeps
   * keys whose name contains it (case-insensitive) or whose id it is.
   */
  async listKeys(orgId: string, page: { limit?: number; cursor?: string; search?: string } = {}): Promise<{ keys: ApiKeyInfo[]; nextCursor: string }> {
    const org = validId(orgId, "orgId");
    const limit = validLimit(page.limit);
    const after = decodeCursor(page.cursor);
    const search = validSearch(page.search);
    // One extra row tells whether another page exists without a second query.
    const rows = await this.store.listKeys(org, limit + 1, after, search);
    const keys = rows.slice(0, limit);
    const last = keys[keys.length - 1];
    return { keys: keys.map(toInfo), nextCursor: rows.length > limit && last ? encodeCursor(last) : "" };
  }

  /** Changes only the fields present in `patch`. */
  async updateKey(orgId: string, id: string, patch: UpdateKeyInput): Promise<ApiKeyInfo> {
    const now = this.now();
    const clean: KeyPatch = {};
    if (patch.name !== undefined) clean.name = validName(patch.name);
    if (patch.scopes !== undefined) clean.scopes = validScopes(patch.scopes);
    if (patch.metadata !== undefined) clean.metadata = validMetadata(patch.metadata);
    if (patch.expiresAt !== undefined) clean.expiresAt = patch.expiresAt === null ? null : validFutureDate(patch.expiresAt, now);
    if (patch.rateLimit !== undefined) clean.rateLimit = patch.rateLimit === null ? null : validRateLimit(patch.rateLimit, "rateLimit", this.rateLimitCaps);
    const existing = await this.mustGet(orgId, id);
    if (existing.revokedAt) throw new PreconditionError(`key ${existing.id} is revoked`);
    const updated = await this.store.updateKey(existing.orgId, existing.id, clean, (k) => keyEvent("key.updated", k, now));
    if (!updated) throw new PreconditionError(`key ${existing.id} is revoked`);
    this.onEvent();
    await this.publisher.publish(updated.keyHash);
    return toInfo(updated);
  }

  /** Revokes a key at once. Revoking a revoked key succeeds; an unknown key is NOT_FOUND. */
  async revokeKey(orgId: string, id: string): Promise<void> {
    const org = validId(orgId, "orgId");
    const key = validId(id, "id");
    const now = this.now();
    const at = new Date(now);
    // Revoking a revoked key changes nothing and emits nothing.
    const revoked = await this.store.revokeKey(org, key, at, (k) => (k.revokedAt?.getTime() === now ? keyEvent("key.revoked", k, now) : null));
    if (!revoked) throw new NotFoundError(`key ${key} not found`);
    if (revoked.revokedAt?.getTime() === now) this.onEvent();
    await this.publisher.publish(revoked.keyHash);
  }

  /**
   * Replaces a key with a new secret (same name, scopes, metadata, limits, expiry). The old key
   * is revoked now (grace 0, the default) or keeps working until min(its expiry, now + grace).
   */
  async rotateKey(orgId: string, id: string, opts: { gracePeriodSeconds?: number } = {}): Promise<IssuedKey> {
    const grace = validGrace(opts.gracePeriodSeconds);
    const now = this.now();
    const old = await this.mustGet(orgId, id);
    if (old.revokedAt) throw new PreconditionError(`key ${old.id} is revoked`);
    if (old.supersededBy) throw new PreconditionError(`key ${old.id} was already rotated; rotate key ${old.supersededBy} instead`);
    if (old.expiresAt && old.expiresAt.getTime() <= now) throw new PreconditionError(`key ${old.id} has expired; update its expiresAt first`);
    const key = generateApiKey(old.root ? "dhr" : "dh");
    const successor: StoredKey = {
      ...old,
      id: newId(),
      prefix: apiKeyPrefix(key),
      keyHash: hashApiKey(key),
      createdAt: new Date(now),
      lastUsedAt: null,
      revokedAt: null,
      supersededBy: null,
    };
    const graceEnd = now + grace * 1000;
    const end =
      grace === 0
        ? { revokedAt: new Date(now) }
        : { expiresAt: new Date(Math.min(old.expiresAt?.getTime() ?? Infinity, graceEnd)) };
    // One event for the rotation (the new key, naming the one it replaces), also when grace 0 revokes the old key.
    const ended = await this.store.rotateKey(old.orgId, old.id, successor, end, () =>
      keyEvent("key.rotated", successor, now, { previousKeyId: old.id, previousKeyExpiresAt: end.expiresAt?.toISOString() ?? null }),
    );
    if (!ended) throw new PreconditionError(`key ${old.id} was revoked or rotated concurrently`);
    this.onEvent();
    await this.publisher.publish(ended.keyHash);
    await this.publisher.publish(successor.keyHash);
    return { key, apiKey: toInfo(successor) };
  }

  /**
   * VerifyKey (docs/reference/grpc.md). A malformed key is answered without any lookup. Records use of a
   * valid key (throttled, in the background: the answer never waits for that write).
   */
  async verifyKey(key: string): Promise<VerifyResult> {
    if (typeof key !== "string" || !isWellFormedApiKey(key)) return { valid: false, scopes: [], rateLimit: null, expiresAt: null, root: false, code: "MALFORMED" };
    const now = this.now();
    const result = judgeKey(await this.store.findKeyByHash(hashApiKey(key)), now);
    if (result.valid) this.touch(result.keyId!, now);
    return result;
  }

  /** Waits for background `last_used_at` writes (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pendingTouches]);
  }

  private touch(id: string, now: number): void {
    const last = this.touched.get(id);
    if (last !== undefined && now - last < this.touchIntervalMs) return;
    if (this.touched.size >= TOUCH_MEMORY_MAX) {
      for (const [k, t] of this.touched) if (now - t >= this.touchIntervalMs) this.touched.delete(k);
      if (this.touched.size >= TOUCH_MEMORY_MAX) this.touched.clear();
    }
    this.touched.set(id, now);
    const p = this.store
      .touchKey(id, new Date(now), this.touchIntervalMs)
      .catch((err: Error) => this.logger.debug({ keyId: id, err: { message: err.message } }, "could not record key use"))
      .finally(() => this.pendingTouches.delete(p));
    this.pendingTouches.add(p);
  }

  private async mustGet(orgId: string, id: string): Promise<StoredKey> {
    const org = validId(orgId, "orgId");
    const key = validId(id, "id");
    const rec = await this.store.getKey(org, key);
    if (!rec) throw new NotFoundError(`key ${key} not found`);
    return rec;
  }
}
