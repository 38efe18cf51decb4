import { createHash, randomBytes } from "node:crypto";
import { hashApiKey, isWellFormedApiKey } from "@datahub/runtime";
import { judgeKey } from "../judge-key";
import type { KeyStore } from "../store/key-store";
import type { VerifyResult } from "../types";
import type { SessionStore } from "./session-store";

/** `dhs_` + 32 random bytes in base64url. */
const TOKEN_RE = /^dhs_[A-Za-z0-9_-]{43}$/;
/** The longest session anyone may ask for. */
export const MAX_SESSION_TTL_SECONDS = 7 * 24 * 3600;
/** Ended and expired sessions are kept this long (for support questions), then pruned on sign-in. */
const KEEP_ENDED_MS = 24 * 3600 * 1000;

/** A live session: when it ends and the current state of its key. */
export interface SessionView {
  expiresAt: Date;
  key: VerifyResult;
  keyName: string;
}

/** What signing in gives: a token once, or the reason the key was refused. */
export type SignIn = { valid: true; token: string; session: SessionView } | { valid: false; key: VerifyResult };

/** Options of {@link ConsoleSessions}. */
export interface ConsoleSessionsOptions {
  sessions: SessionStore;
  keys: KeyStore;
  /** Clock in ms; tests move it instead of sleeping. */
  now?: () => number;
}

const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * Console sessions (docs/console.md): an API key is exchanged for a random token; only the
 * token's hash is stored. A session is valid while it is neither ended nor expired and its key
 * is valid: every verification re-reads the key, so revoking a key ends its sessions at once.
 */
export class ConsoleSessions {
  private readonly store: SessionStore;
  private readonly keys: KeyStore;
  private readonly now: () => number;

  constructor(opts: ConsoleSessionsOptions) {
    this.store = opts.sessions;
    this.keys = opts.keys;
    this.now = opts.now ?? Date.now;
  }

  /** Signs in with `key` for `ttlSeconds` (1 s to 7 days); the session ends no later than the key. */
  async create(key: string, ttlSeconds: number): Promise<SignIn> {
    const now = this.now();
    if (typeof key !== "string" || !isWellFormedApiKey(key)) return { valid: false, key: { ...judgeKey(null, now), code: "MALFORMED" } };
    const rec = await this.keys.findKeyByHash(hashApiKey(key));
    const judged = judgeKey(rec, now);
    if (!judged.valid || !rec) return { valid: false, key: judged };
    const ttlMs = Math.min(Math.max(Math.floor(ttlSeconds), 1), MAX_SESSION_TTL_SECONDS) * 1000;
    const expiresAt = new Date(Math.min(now + ttlMs, rec.expiresAt?.getTime() ?? Infinity));
    const token = `dhs_${randomBytes(32).toString("base64url")}`;
    // Sign-ins are rare: pruning here keeps the table small without a timer.
    await this.store.prune(new Date(now - KEEP_ENDED_MS));
    await this.store.insert({ tokenHash: hashToken(token), keyId: rec.id, orgId: rec.orgId, createdAt: new Date(now), expiresAt, endedAt: null });
    return { valid: true, token, session: { expiresAt, key: judged, keyName: rec.name } };
  }

  /** The live session of `token`, or null (unknown, ended, expired, or its key no longer valid). */
  async verify(token: string): Promise<SessionView | null> {
    if (typeof token !== "string" || !TOKEN_RE.test(token)) return null;
    const s = await this.store.find(hashToken(token));
    const now = this.now();
    if (!s || s.endedAt !== null || s.expiresAt.getTime() <= now) return null;
    const rec = await this.keys.getKey(s.orgId, s.keyId);
    const judged = judgeKey(rec, now);
    if (!judged.valid || !rec) return null;
    const keyEnd = rec.expiresAt?.getTime() ?? Infinity;
    return { expiresAt: new Date(Math.min(s.expiresAt.getTime(), keyEnd)), key: judged, keyName: rec.name };
  }

  /** Ends the session of `token` (signing out); unknown tokens are ignored. */
  async end(token: string): Promise<void> {
    if (typeof token !== "string" || !TOKEN_RE.test(token)) return;
    await this.store.end(hashToken(token), new Date(this.now()));
  }
}
