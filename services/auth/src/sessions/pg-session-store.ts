import type { Pool } from "pg";
import { mapPgError } from "../store/pg-errors";
import type { SessionStore, StoredSession } from "./session-store";

interface SessionRow {
  token_hash: string;
  key_id: string;
  org_id: string;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
}

/** {@link SessionStore} on Postgres (`auth.console_sessions`); connection failures become StoreUnavailableError. */
export class PgSessionStore implements SessionStore {
  constructor(private readonly pool: Pool) {}

  private async q<R extends object>(sql: string, params: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    try {
      const r = await this.pool.query(sql, params);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async insert(s: StoredSession): Promise<void> {
    await this.q("INSERT INTO auth.console_sessions (token_hash, key_id, org_id, created_at, expires_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6)", [
      s.tokenHash,
      s.keyId,
      s.orgId,
      s.createdAt,
      s.expiresAt,
      s.endedAt,
    ]);
  }

  async find(tokenHash: string): Promise<StoredSession | null> {
    const { rows } = await this.q<SessionRow>("SELECT token_hash, key_id, org_id, created_at, expires_at, ended_at FROM auth.console_sessions WHERE token_hash = $1", [
      tokenHash,
    ]);
    const r = rows[0];
    return r ? { tokenHash: r.token_hash, keyId: r.key_id, orgId: r.org_id, createdAt: r.created_at, expiresAt: r.expires_at, endedAt: r.ended_at } : null;
  }

  async end(tokenHash: string, at: Date): Promise<void> {
    await this.q("UPDATE auth.console_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL", [tokenHash, at]);
  }

  async prune(before: Date): Promise<number> {
    return (await this.q("DELETE FROM auth.console_sessions WHERE expires_at < $1 OR ended_at < $1", [before])).rowCount;
  }
}
