import type { Pool, PoolClient } from "pg";
import type { EventFactory } from "../events/system-events";
import type { JsonObject, Org, RateLimitPolicy, StoredKey } from "../types";
import type { ListPosition } from "../validation";
import type { KeyPatch, KeyStore, RotationEnd } from "./key-store";
import { mapPgError } from "./pg-errors";
import { withTransaction } from "@datahub/runtime";

const KEY_COLUMNS =
  "id, org_id, name, prefix, key_hash, scopes, metadata, expires_at, rate_limit, root, created_at, last_used_at, revoked_at, superseded_by";

interface KeyRow {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string[];
  metadata: JsonObject;
  expires_at: Date | null;
  rate_limit: RateLimitPolicy | null;
  root: boolean;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  superseded_by: string | null;
}

function toKey(r: KeyRow): StoredKey {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    prefix: r.prefix,
    keyHash: r.key_hash,
    scopes: r.scopes,
    metadata: r.metadata,
    expiresAt: r.expires_at,
    rateLimit: r.rate_limit,
    root: r.root,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    supersededBy: r.superseded_by,
  };
}

function toOrg(r: { id: string; name: string; created_at: Date }): Org {
  return { id: r.id, name: r.name, createdAt: r.created_at };
}

function insertParams(k: StoredKey): unknown[] {
  return [
    k.id, k.orgId, k.name, k.prefix, k.keyHash, k.scopes, JSON.stringify(k.metadata), k.expiresAt,
    k.rateLimit && JSON.stringify(k.rateLimit), k.root, k.createdAt, k.lastUsedAt, k.revokedAt, k.supersededBy,
  ];
}
const INSERT_KEY = `INSERT INTO auth.api_keys (${KEY_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`;

/** Writes the event the factory builds from `changed` (if any) on the change's own connection. */
async function writeEvent(c: PoolClient, event: EventFactory | undefined, changed: StoredKey): Promise<void> {
  const e = event?.(changed);
  if (!e) return;
  await c.query("INSERT INTO auth.event_outbox (id, org_id, type, data, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)", [
    e.id,
    e.orgId,
    e.type,
    JSON.stringify(e.data),
    e.createdAt,
  ]);
}

/** {@link KeyStore} on Postgres (schema `auth`, see migrations/). Connection failures become StoreUnavailableError. */
export class PgKeyStore implements KeyStore {
  constructor(private readonly pool: Pool) {}

  private async q<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (err) {
      throw mapPgError(err);
    }
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withTransaction(this.pool, fn);
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async insertOrg(org: Org): Promise<void> {
    await this.q("INSERT INTO auth.orgs (id, name, created_at) VALUES ($1, $2, $3)", [org.id, org.name, org.createdAt]);
  }

  async ensureRootOrg(candidate: Org): Promise<Org> {
    await this.q("INSERT INTO auth.orgs (id, name, created_at) VALUES ($1, 'root', $2) ON CONFLICT (name) WHERE name = 'root' DO NOTHING", [
      candidate.id,
      candidate.createdAt,
    ]);
    const rows = await this.q<{ id: string; name: string; created_at: Date }>("SELECT id, name, created_at FROM auth.orgs WHERE name = 'root'");
    return toOrg(rows[0]!);
  }

  async listOrgs(): Promise<Org[]> {
    return (await this.q<{ id: string; name: string; created_at: Date }>("SELECT id, name, created_at FROM auth.orgs ORDER BY created_at, id")).map(toOrg);
  }

  async insertKey(key: StoredKey, event?: EventFactory): Promise<void> {
    if (!event) {
      await this.q(INSERT_KEY, insertParams(key));
      return;
    }
    await this.tx(async (c) => {
      await c.query(INSERT_KEY, insertParams(key));
      await writeEvent(c, event, key);
    });
  }

  async insertRootKeyIfAbsent(key: StoredKey): Promise<boolean> {
    // No conflict target: the one-active-root index and the key_hash unique both make it a no-op.
    const rows = await this.q(`${INSERT_KEY} ON CONFLICT DO NOTHING RETURNING id`, insertParams(key));
    return rows.length === 1;
  }

  async findActiveRootKey(): Promise<StoredKey | null> {
    const rows = await this.q<KeyRow>(`SELECT ${KEY_COLUMNS} FROM auth.api_keys WHERE root AND revoked_at IS NULL AND expires_at IS NULL`);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async getKey(orgId: string, id: string): Promise<StoredKey | null> {
    const rows = await this.q<KeyRow>(`SELECT ${KEY_COLUMNS} FROM auth.api_keys WHERE org_id = $1 AND id = $2`, [orgId, id]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async findKeyByHash(keyHash: string): Promise<StoredKey | null> {
    const rows = await this.q<KeyRow>(`SELECT ${KEY_COLUMNS} FROM auth.api_keys WHERE key_hash = $1`, [keyHash]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async listKeys(orgId: string, limit: number, after?: ListPosition, search?: string): Promise<StoredKey[]> {
    const params: unknown[] = [orgId, limit];
    let where = "org_id = $1 AND revoked_at IS NULL";
    if (after) {
      params.push(after.createdAt, after.id);
      where += ` AND (created_at, id) < ($${params.length - 1}, $${params.length})`;
    }
    if (search) {
      // The text is matched literally: LIKE's wildcards and escape character are escaped.
      params.push(`%${search.replace(/[\\%_]/g, "\\$&")}%`, search.toLowerCase());
      where += ` AND (name ILIKE $${params.length - 1} OR id::text = $${params.length})`;
    }
    const rows = await this.q<KeyRow>(`SELECT ${KEY_COLUMNS} FROM auth.api_keys WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`, params);
    return rows.map(toKey);
  }

  async updateKey(orgId: string, id: string, patch: KeyPatch, event?: EventFactory): Promise<StoredKey | null> {
    const sets: string[] = [];
    const params: unknown[] = [orgId, id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.name !== undefined) set("name", patch.name);
    if (patch.scopes !== undefined) set("scopes", patch.scopes);
    if (patch.metadata !== undefined) set("metadata", JSON.stringify(patch.metadata));
    if (patch.expiresAt !== undefined) set("expires_at", patch.expiresAt);
    if (patch.rateLimit !== undefined) set("rate_limit", patch.rateLimit && JSON.stringify(patch.rateLimit));
    const assignments = sets.length ? sets.join(", ") : "name = name";
    const sql = `UPDATE auth.api_keys SET ${assignments} WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`;
    return this.changeOne(sql, params, event);
  }

  /** Runs a one-row UPDATE … RETURNING and, in the same transaction, writes its event. */
  private async changeOne(sql: string, params: unknown[], event: EventFactory | undefined): Promise<StoredKey | null> {
    if (!event) {
      const rows = await this.q<KeyRow>(sql, params);
      return rows[0] ? toKey(rows[0]) : null;
    }
    return this.tx(async (c) => {
      const { rows } = await c.query<KeyRow>(sql, params);
      if (!rows[0]) return null;
      const changed = toKey(rows[0]);
      await writeEvent(c, event, changed);
      return changed;
    });
  }

  async revokeKey(orgId: string, id: string, at: Date, event?: EventFactory): Promise<StoredKey | null> {
    return this.changeOne(
      `UPDATE auth.api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2 RETURNING ${KEY_COLUMNS}`,
      [orgId, id, at],
      event,
    );
  }

  async rotateKey(orgId: string, id: string, successor: StoredKey, end: RotationEnd, event?: EventFactory): Promise<StoredKey | null> {
    return this.tx(async (c) => {
      // End the old key first: for a root key this frees the one-active-root index for the successor.
      const column = "revokedAt" in end ? "revoked_at" : "expires_at";
      const at = "revokedAt" in end ? end.revokedAt : end.expiresAt;
      const { rows } = await c.query<KeyRow>(
        `UPDATE auth.api_keys SET ${column} = $3, superseded_by = $4
         WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL AND superseded_by IS NULL RETURNING ${KEY_COLUMNS}`,
        [orgId, id, at, successor.id],
      );
      if (!rows[0]) return null;
      await c.query(INSERT_KEY, insertParams(successor));
      const ended = toKey(rows[0]);
      await writeEvent(c, event, ended);
      return ended;
    });
  }

  async touchKey(id: string, at: Date, minIntervalMs: number): Promise<void> {
    await this.q(
      "UPDATE auth.api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - make_interval(secs => $3::float8))",
      [id, at, minIntervalMs / 1000],
    );
  }
}
