/**
 * The relay's view of `auth.event_outbox` (migrations/0002): claim due rows with a lease, mark
 * them sent or failed, prune old sent rows. Claims use `FOR UPDATE SKIP LOCKED` inside one
 * short UPDATE, so several auth replicas relay in parallel without holding a transaction open
 * across the publish RPC; a replica that dies mid-batch leaves its rows to be claimed again when
 * the lease ends (at-least-once, deduped by the webhooks service on the row id).
 */
import type { Pool } from "pg";
import type { JsonObject } from "../types";
import { mapPgError } from "../store/pg-errors";

/** A pending outbox row. */
export interface OutboxRow {
  id: string;
  orgId: string;
  type: string;
  data: JsonObject;
  createdAt: Date;
  attempts: number;
}

/** What the relay needs from the outbox (Postgres in production, an array in unit tests). */
export interface Outbox {
  /** Up to `limit` due rows, oldest first, hidden from other claimers for `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<OutboxRow[]>;
  markSent(id: string): Promise<void>;
  /** Records a failed attempt (`countAttempt`) or just a postponement, due again after `delayMs`. */
  reschedule(ids: string[], delayMs: number, error: string, countAttempt: boolean): Promise<void>;
  /** Deletes up to `limit` rows sent before `before`; returns how many. */
  pruneSent(before: Date, limit: number): Promise<number>;
}

interface Row {
  id: string;
  org_id: string;
  type: string;
  data: JsonObject;
  created_at: Date;
  attempts: number;
}

/** {@link Outbox} on the auth schema. Connection failures become StoreUnavailableError. */
export class PgOutbox implements Outbox {
  constructor(private readonly pool: Pool) {}

  private async q<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query(sql, params)).rows as R[];
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async claim(limit: number, leaseMs: number): Promise<OutboxRow[]> {
    const rows = await this.q<Row>(
      `UPDATE auth.event_outbox SET next_attempt_at = now() + make_interval(secs => $2::float8)
       WHERE id IN (
         SELECT id FROM auth.event_outbox WHERE sent_at IS NULL AND next_attempt_at <= now()
         ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, org_id, type, data, created_at, attempts`,
      [limit, leaseMs / 1000],
    );
    return rows
      .map((r) => ({ id: r.id, orgId: r.org_id, type: r.type, data: r.data, createdAt: r.created_at, attempts: r.attempts }))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  }

  async markSent(id: string): Promise<void> {
    await this.q("UPDATE auth.event_outbox SET sent_at = now(), last_error = NULL WHERE id = $1", [id]);
  }

  async reschedule(ids: string[], delayMs: number, error: string, countAttempt: boolean): Promise<void> {
    if (ids.length === 0) return;
    await this.q(
      `UPDATE auth.event_outbox SET next_attempt_at = now() + make_interval(secs => $2::float8), last_error = $3,
         attempts = attempts + $4 WHERE id = ANY($1::uuid[]) AND sent_at IS NULL`,
      [ids, delayMs / 1000, error.slice(0, 500), countAttempt ? 1 : 0],
    );
  }

  async pruneSent(before: Date, limit: number): Promise<number> {
    const rows = await this.q<{ id: string }>(
      `DELETE FROM auth.event_outbox WHERE id IN (
         SELECT id FROM auth.event_outbox WHERE sent_at IS NOT NULL AND sent_at < $1 LIMIT $2) RETURNING id`,
      [before, limit],
    );
    return rows.length;
  }
}
