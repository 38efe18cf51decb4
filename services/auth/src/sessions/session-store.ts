/** A console session as the store holds it: the token's SHA-256, never the token. */
export interface StoredSession {
  tokenHash: string;
  keyId: string;
  orgId: string;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
}

/**
 * Persistence of console sessions. Implementations: PgSessionStore (table
 * `auth.console_sessions`) and MemorySessionStore (unit tests).
 */
export interface SessionStore {
  insert(session: StoredSession): Promise<void>;
  find(tokenHash: string): Promise<StoredSession | null>;
  /** Sets `ended_at` unless already set; a no-op for an unknown hash. */
  end(tokenHash: string, at: Date): Promise<void>;
  /** Deletes sessions that expired or ended before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

/** In-memory {@link SessionStore} for unit tests; same semantics as PgSessionStore. */
export class MemorySessionStore implements SessionStore {
  readonly rows = new Map<string, StoredSession>();

  async insert(session: StoredSession): Promise<void> {
    this.rows.set(session.tokenHash, { ...session });
  }

  async find(tokenHash: string): Promise<StoredSession | null> {
    const s = this.rows.get(tokenHash);
    return s ? { ...s } : null;
  }

  async end(tokenHash: string, at: Date): Promise<void> {
    const s = this.rows.get(tokenHash);
    if (s && !s.endedAt) s.endedAt = at;
  }

  async prune(before: Date): Promise<number> {
    let n = 0;
    for (const [hash, s] of this.rows) {
      if (s.expiresAt < before || (s.endedAt !== null && s.endedAt < before)) {
        this.rows.delete(hash);
        n++;
      }
    }
    return n;
  }
}
