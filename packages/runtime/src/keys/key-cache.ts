/**
 * The cache of key verifications, used by the edge for every request and by the internal gRPC
 * port for callers that present an API key. A VerifyKey RPC per request would cap the edge at a
 * few hundred requests/s (docs/architecture.md), so verifications are cached by the key's SHA-256:
 *
 * - positive entries are fresh for `ttlMs`, never past the key's own `expires_at`;
 * - rejections (NOT_FOUND, REVOKED, EXPIRED) are cached for `negativeTtlMs`;
 * - concurrent misses for one key share one RPC (singleflight);
 * - when auth cannot answer, a positive entry younger than `staleTtlMs` keeps working and an
 *   unknown key gets `unavailable` (503), never `invalid` (401) — an outage is not a revocation;
 * - invalidations (pushed over Redis by auth) delete entries; while the push channel is down,
 *   positive entries are trusted for at most {@link PUSH_DOWN_TTL_MS} so revocations still land.
 */
import { LRUCache } from "lru-cache";
import { auth } from "@datahub/proto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { hashApiKey } from "../api-key";
import type { Principal } from "./principal";

/** Outcome of authenticating one presented key. */
export type AuthResult = { readonly status: "valid"; readonly principal: Principal } | { readonly status: "invalid" } | { readonly status: "unavailable" };

/** Cache outcome, for `datahub_auth_cache_requests_total{result}`. */
export type CacheResult = "hit" | "miss" | "stale" | "negative";

/** The VerifyKey call as the cache needs it (the real gRPC client or an in-memory fake). */
export type VerifyFn = (key: string) => Promise<auth.VerifyKeyResponse>;

/** Options for {@link KeyCache}. */
export interface KeyCacheOptions {
  verify: VerifyFn;
  ttlMs: number;
  negativeTtlMs: number;
  staleTtlMs: number;
  /** Maximum number of entries (LRU beyond that). */
  size: number;
  /** Called once per lookup with its cache outcome. */
  onResult?: (result: CacheResult) => void;
  /**
   * Called when a lookup waits for a verification: `started` when this lookup began it, false
   * when it joined one in flight (tracing links the joiners to the flight's span).
   */
  onFlight?: (pending: Promise<AuthResult>, started: boolean) => void;
  /** Clock, for tests. */
  now?: () => number;
}

/** How long a positive entry is trusted while invalidations cannot arrive (a revocation reaches every edge within 1 s: README, "API keys"). */
export const PUSH_DOWN_TTL_MS = 1000;

const INVALID: AuthResult = Object.freeze({ status: "invalid" });
const UNAVAILABLE: AuthResult = Object.freeze({ status: "unavailable" });

interface Entry {
  /** `undefined` for a negative entry. */
  principal: Principal | undefined;
  result: AuthResult;
  fetchedAt: number;
  /** The key's own expiry (ms), or Infinity. */
  expiresAt: number;
}

const NEGATIVE_CODES = new Set([auth.VerifyCode.NOT_FOUND, auth.VerifyCode.REVOKED, auth.VerifyCode.EXPIRED]);

/** Maps a VerifyKey response to a principal, or undefined when the key is not valid. */
export function principalFrom(res: auth.VerifyKeyResponse): Principal | undefined {
  if (!res.valid) return undefined;
  const rl = res.rateLimit;
  return {
    keyId: res.keyId,
    orgId: res.orgId,
    scopes: res.scopes,
    root: res.root,
    rateLimit: rl && rl.limit > 0n && rl.windowSeconds > 0n ? { limit: Number(rl.limit), windowSeconds: Number(rl.windowSeconds), algorithm: rl.algorithm } : undefined,
  };
}

/** Cached, singleflighted key verification. */
export class KeyCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<AuthResult>>();
  private readonly now: () => number;
  /** Bumped by every invalidation: a verification that started before one is not cached. */
  private epoch = 0;
  private pushHealthy = false;

  constructor(private readonly opts: KeyCacheOptions) {
    this.lru = new LRUCache<string, Entry>({ max: opts.size });
    this.now = opts.now ?? Date.now;
  }

  /**
   * Authenticates a well-formed key. Returns synchronously on a fresh cache entry (the hot path
   * allocates no promise), else a promise that settles after (at most one shared) VerifyKey RPC.
   * `hash` is the key's SHA-256, when the caller already has it.
   */
  lookup(key: string, hash = hashApiKey(key)): AuthResult | Promise<AuthResult> {
    const entry = this.lru.get(hash);
    const now = this.now();
    if (entry !== undefined) {
      if (entry.principal === undefined) {
        if (now - entry.fetchedAt < this.opts.negativeTtlMs) return this.count("negative", INVALID);
      } else if (now >= entry.expiresAt) {
        // Expired by its own clock: a rejection, no lookup needed.
        this.lru.delete(hash);
        return this.count("negative", INVALID);
      } else if (now - entry.fetchedAt < this.freshMs()) {
        return this.count("hit", entry.result);
      }
    }
    let pending = this.inflight.get(hash);
    const started = pending === undefined;
    if (pending === undefined) {
      pending = this.refresh(key, hash);
      this.inflight.set(hash, pending);
    }
    this.opts.onFlight?.(pending, started);
    return pending;
  }

  /**
   * True when this edge has verified `key` as valid and the entry is still held (past its
   * freshness, being re-verified, but not expired or invalidated). Used off the hot path only.
   */
  verifiedBefore(key: string, hash = hashApiKey(key)): boolean {
    const entry = this.lru.peek(hash);
    return entry !== undefined && entry.principal !== undefined && this.now() < entry.expiresAt;
  }

  /** Drops the entry of one key hash (an invalidation message). */
  invalidate(hash: string): void {
    this.epoch++;
    this.lru.delete(hash);
  }

  /** Drops every entry (`*`, or the invalidation channel reconnected and may have missed messages). */
  clear(): void {
    this.epoch++;
    this.lru.clear();
  }

  /** Whether pushed invalidations are currently arriving; while not, positive entries live 1 s at most. */
  setPushHealthy(healthy: boolean): void {
    this.pushHealthy = healthy;
  }

  /** Number of cached entries (tests, metrics). */
  get size(): number {
    return this.lru.size;
  }

  private freshMs(): number {
    return this.pushHealthy ? this.opts.ttlMs : Math.min(this.opts.ttlMs, PUSH_DOWN_TTL_MS);
  }

  private count(result: CacheResult, value: AuthResult): AuthResult {
    this.opts.onResult?.(result);
    return value;
  }

  private async refresh(key: string, hash: string): Promise<AuthResult> {
    const epoch = this.epoch;
    try {
      const res = await this.opts.verify(key);
      const now = this.now();
      const principal = principalFrom(res);
      if (principal !== undefined) {
        const expiresAt = res.expiresAt ? timestampMs(res.expiresAt) : Infinity;
        const result: AuthResult = { status: "valid", principal };
        if (epoch === this.epoch) this.lru.set(hash, { principal, result, fetchedAt: now, expiresAt });
        return this.count("miss", result);
      }
      if (NEGATIVE_CODES.has(res.code) && epoch === this.epoch) {
        this.lru.set(hash, { principal: undefined, result: INVALID, fetchedAt: now, expiresAt: Infinity });
      }
      return this.count("miss", INVALID);
    } catch {
      // Whatever went wrong on the auth side, it is not the client's key: serve stale or 503.
      const entry = this.lru.get(hash);
      const now = this.now();
      if (entry?.principal !== undefined && now - entry.fetchedAt < this.opts.staleTtlMs && now < entry.expiresAt) {
        return this.count("stale", entry.result);
      }
      return this.count("miss", UNAVAILABLE);
    } finally {
      this.inflight.delete(hash);
    }
  }
}
