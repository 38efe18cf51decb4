import type pg from "pg";
import { withTransaction } from "@datahub/runtime";
import { Batcher } from "../batcher";
import type {
  AttemptContext,
  AttemptOutcome,
  AttemptRow,
  DeliveryRow,
  DeliveryStatus,
  EndpointPatch,
  EndpointRow,
  NewEndpoint,
  NewEvent,
  PublishResult,
  RetryResult,
  WebhookStore,
} from "./types";

const ENDPOINT_COLUMNS = `id, org_id, url, events, description, status, disabled_reason, rate_limit_per_second,
  secret, previous_secret, previous_secret_expires_at, failing_since, created_at, updated_at`;

const DELIVERY_COLUMNS = `id, endpoint_id, event_id, event_type, status, attempts, last_status_code, last_error, next_attempt_at, created_at`;

type Row = Record<string, unknown>;

function toEndpoint(r: Row): EndpointRow {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    url: r.url as string,
    events: r.events as string[],
    description: r.description as string,
    status: r.status as EndpointRow["status"],
    disabledReason: r.disabled_reason as string,
    rateLimitPerSecond: r.rate_limit_per_second as number,
    secret: r.secret as string,
    previousSecret: (r.previous_secret as string | null) ?? null,
    previousSecretExpiresAt: (r.previous_secret_expires_at as Date | null) ?? null,
    failingSince: (r.failing_since as Date | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

function toDelivery(r: Row): DeliveryRow {
  return {
    id: r.id as string,
    endpointId: r.endpoint_id as string,
    eventId: r.event_id as string,
    eventType: r.event_type as string,
    status: r.status as DeliveryStatus,
    attempts: r.attempts as number,
    lastStatusCode: r.last_status_code as number,
    lastError: r.last_error as string,
    nextAttemptAt: (r.next_attempt_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

const FAIL_PENDING = `UPDATE webhooks.deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'endpoint disabled'
  WHERE endpoint_id = $1 AND status = 'pending'`;

/** Runs `statement` once more when an endpoint was deleted between its snapshot and its foreign-key check (23503). */
async function onceMoreOnFkRace<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (err) {
    if ((err as { code?: string }).code !== "23503") throw err;
    return statement();
  }
}

/** {@link WebhookStore} on PostgreSQL (schema `webhooks`, migrations/0001_webhooks.sql). */
export class PgWebhookStore implements WebhookStore {
  private readonly loads: Batcher<string, AttemptContext | undefined>;
  private readonly records: Batcher<AttemptOutcome, void>;
  private readonly publishes: Batcher<{ e: NewEvent; patterns: string[] }, string[]>;

  constructor(private readonly pool: pg.Pool) {
    // Attempts are loaded and recorded in batches: one round trip for many concurrent workers.
    this.loads = new Batcher((ids) => this.loadMany(ids));
    this.records = new Batcher((outcomes) => this.recordMany(outcomes));
    this.publishes = new Batcher((items) => this.publishMany(items), 1);
  }

  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, fn);
  }

  async createEndpoint(e: NewEndpoint): Promise<EndpointRow> {
    const { rows } = await this.pool.query(
      `INSERT INTO webhooks.endpoints (id, org_id, url, events, description, rate_limit_per_second, secret)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ENDPOINT_COLUMNS}`,
      [e.id, e.orgId, e.url, e.events, e.description, e.rateLimitPerSecond, e.secret],
    );
    return toEndpoint(rows[0]);
  }

  async getEndpoint(orgId: string, id: string): Promise<EndpointRow | undefined> {
    const { rows } = await this.pool.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhooks.endpoints WHERE org_id = $1 AND id = $2`, [orgId, id]);
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  async listEndpoints(orgId: string, limit: number, afterId?: string): Promise<EndpointRow[]> {
    const { rows } = await this.pool.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhooks.endpoints WHERE org_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [orgId, afterId ?? null, limit],
    );
    return rows.map(toEndpoint);
  }

  async updateEndpoint(orgId: string, id: string, p: EndpointPatch): Promise<EndpointRow | undefined> {
    return this.tx(async (c) => {
      const { rows } = await c.query(
        `UPDATE webhooks.endpoints SET
           url = COALESCE($3, url),
           events = COALESCE($4, events),
           description = COALESCE($5, description),
           rate_limit_per_second = COALESCE($6, rate_limit_per_second),
           status = COALESCE($7::text, status),
           disabled_reason = CASE WHEN $7::text = 'enabled' THEN '' WHEN $7::text = 'disabled' AND status = 'enabled' THEN $8::text ELSE disabled_reason END,
           failing_since = CASE WHEN $7::text = 'enabled' THEN NULL ELSE failing_since END,
           updated_at = now()
         WHERE org_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
        [orgId, id, p.url ?? null, p.events ?? null, p.description ?? null, p.rateLimitPerSecond ?? null, p.status ?? null, p.disabledReason ?? "user"],
      );
      if (!rows[0]) return undefined;
      if (p.status === "disabled") await c.query(FAIL_PENDING, [id]);
      return toEndpoint(rows[0]);
    });
  }

  async deleteEndpoint(orgId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM webhooks.endpoints WHERE org_id = $1 AND id = $2`, [orgId, id]);
    return (rowCount ?? 0) > 0;
  }

  async rotateSecret(orgId: string, id: string, secret: string, graceMs: number): Promise<Date | undefined> {
    const { rows } = await this.pool.query(
      `UPDATE webhooks.endpoints SET previous_secret = secret, secret = $3,
         previous_secret_expires_at = now() + make_interval(secs => $4::double precision / 1000), updated_at = now()
       WHERE org_id = $1 AND id = $2 RETURNING previous_secret_expires_at`,
      [orgId, id, secret, graceMs],
    );
    return rows[0]?.previous_secret_expires_at as Date | undefined;
  }

  async publish(e: NewEvent, patterns: string[]): Promise<PublishResult> {
    if (!e.idempotencyKey) {
      // Key-less publishes arriving together share one statement (see publishMany).
      return { eventId: e.id, duplicate: false, deliveryIds: await this.publishes.call({ e, patterns }) };
    }
    // A key is only reserved for 24 h: free it from an older event so the unique index admits it.
    await this.pool.query(
      `UPDATE webhooks.events SET idempotency_key = NULL
       WHERE org_id = $1 AND idempotency_key = $2 AND created_at < now() - interval '24 hours'`,
      [e.orgId, e.idempotencyKey],
    );
    // The outbox write is ONE statement (so one implicit transaction and one round trip): the
    // event, and a pending delivery for every enabled endpoint of the org whose patterns match.
    // An idempotent repeat inserts no event, hence no deliveries.
    const insert = () =>
      this.pool.query(
        `WITH ev AS (
           INSERT INTO webhooks.events (id, org_id, type, payload, idempotency_key, traceparent)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6)
           ON CONFLICT (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
           RETURNING id
         ), d AS (
           INSERT INTO webhooks.deliveries (id, org_id, endpoint_id, event_id, event_type, next_attempt_at)
           SELECT webhooks.uuid_v7(), $2, p.id, ev.id, $3, now()
           FROM ev, webhooks.endpoints p
           WHERE p.org_id = $2 AND p.status = 'enabled' AND p.events && $7::text[]
           RETURNING id
         )
         SELECT (SELECT id FROM ev) AS event_id, ARRAY(SELECT id FROM d) AS delivery_ids`,
        [e.id, e.orgId, e.type, e.payload, e.idempotencyKey ?? null, e.traceparent, patterns],
      );
    const res = await onceMoreOnFkRace(insert);
    const row = res.rows[0];
    if (row.event_id) return { eventId: e.id, duplicate: false, deliveryIds: row.delivery_ids as string[] };
    const existing = await this.pool.query(`SELECT id FROM webhooks.events WHERE org_id = $1 AND idempotency_key = $2`, [e.orgId, e.idempotencyKey]);
    return { eventId: existing.rows[0].id as string, duplicate: true, deliveryIds: [] };
  }

  async publishTo(e: NewEvent, endpointId: string): Promise<PublishResult> {
    const res = await this.pool.query(
      `WITH ev AS (
         INSERT INTO webhooks.events (id, org_id, type, payload, traceparent) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING id
       ), d AS (
         INSERT INTO webhooks.deliveries (id, org_id, endpoint_id, event_id, event_type, next_attempt_at)
         SELECT webhooks.uuid_v7(), $2, p.id, ev.id, $3, now()
         FROM ev, webhooks.endpoints p
         WHERE p.org_id = $2 AND p.id = $6 AND p.status = 'enabled'
         RETURNING id
       )
       SELECT ARRAY(SELECT id FROM d) AS delivery_ids`,
      [e.id, e.orgId, e.type, e.payload, e.traceparent, endpointId],
    );
    return { eventId: e.id, duplicate: false, deliveryIds: res.rows[0].delivery_ids as string[] };
  }

  /**
   * The outbox write for many key-less events in ONE statement: every event and, for each, a
   * delivery per matching enabled endpoint of its org. Atomic as a whole, so each event is still
   * stored together with its deliveries. Patterns travel space-joined (they contain no spaces).
   */
  private async publishMany(items: Array<{ e: NewEvent; patterns: string[] }>): Promise<string[][]> {
    const col = <T>(f: (x: { e: NewEvent; patterns: string[] }) => T) => items.map(f);
    const run = () =>
      this.pool.query(
        `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
             AS t(id, org_id, type, payload, traceparent, patterns)
         ), ev AS (
           INSERT INTO webhooks.events (id, org_id, type, payload, traceparent)
           SELECT id, org_id, type, payload::jsonb, traceparent FROM input
           RETURNING id
         ), d AS (
           INSERT INTO webhooks.deliveries (id, org_id, endpoint_id, event_id, event_type, next_attempt_at)
           SELECT webhooks.uuid_v7(), i.org_id, p.id, i.id, i.type, now()
           FROM input i JOIN webhooks.endpoints p
             ON p.org_id = i.org_id AND p.status = 'enabled' AND p.events && string_to_array(i.patterns, ' ')
           RETURNING id, event_id
         )
         SELECT event_id, array_agg(id) AS ids FROM d GROUP BY event_id`,
        [
          col((x) => x.e.id),
          col((x) => x.e.orgId),
          col((x) => x.e.type),
          col((x) => x.e.payload),
          col((x) => x.e.traceparent),
          col((x) => x.patterns.join(" ")),
        ],
      );
    const res = await onceMoreOnFkRace(run);
    const byEvent = new Map<string, string[]>(res.rows.map((r) => [r.event_id as string, r.ids as string[]]));
    return items.map((x) => byEvent.get(x.e.id) ?? []);
  }

  async markEnqueued(deliveryIds: string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.pool.query(`UPDATE webhooks.deliveries SET enqueued_at = now() WHERE id = ANY($1::uuid[]) AND status = 'pending'`, [deliveryIds]);
  }

  async listDeliveries(orgId: string, endpointId: string, status: DeliveryStatus | undefined, limit: number, beforeId?: string): Promise<DeliveryRow[] | undefined> {
    const owner = await this.pool.query(`SELECT 1 FROM webhooks.endpoints WHERE org_id = $1 AND id = $2`, [orgId, endpointId]);
    if (!owner.rowCount) return undefined;
    const { rows } = await this.pool.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhooks.deliveries
       WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3)
       ORDER BY id DESC LIMIT $4`,
      [endpointId, status ?? null, beforeId ?? null, limit],
    );
    return rows.map(toDelivery);
  }

  async listAttempts(orgId: string, endpointId: string, deliveryId: string): Promise<AttemptRow[] | undefined> {
    const owner = await this.pool.query(`SELECT 1 FROM webhooks.deliveries WHERE org_id = $1 AND endpoint_id = $2 AND id = $3`, [orgId, endpointId, deliveryId]);
    if (!owner.rowCount) return undefined;
    const { rows } = await this.pool.query(
      `SELECT number, started_at, status_code, duration_ms, response_excerpt, error FROM webhooks.attempts WHERE delivery_id = $1 ORDER BY number`,
      [deliveryId],
    );
    return rows.map((r) => ({
      number: r.number,
      startedAt: r.started_at,
      statusCode: r.status_code,
      durationMs: r.duration_ms,
      responseExcerpt: r.response_excerpt,
      error: r.error,
    }));
  }

  async retryDelivery(orgId: string, endpointId: string, deliveryId: string): Promise<RetryResult> {
    const { rows } = await this.pool.query(
      `WITH ep AS (SELECT status FROM webhooks.endpoints WHERE org_id = $1 AND id = $2),
       upd AS (
         UPDATE webhooks.deliveries d SET status = 'pending', next_attempt_at = now(), enqueued_at = NULL
         WHERE d.org_id = $1 AND d.endpoint_id = $2 AND d.id = $3 AND (SELECT status FROM ep) = 'enabled'
         RETURNING d.id
       )
       SELECT (SELECT status FROM ep) AS endpoint_status,
              EXISTS (SELECT 1 FROM webhooks.deliveries WHERE org_id = $1 AND endpoint_id = $2 AND id = $3) AS found,
              (SELECT count(*) FROM upd) AS updated`,
      [orgId, endpointId, deliveryId],
    );
    const r = rows[0];
    if (!r.endpoint_status || !r.found) return "not_found";
    if (r.endpoint_status !== "enabled") return "endpoint_disabled";
    return "scheduled";
  }

  loadForAttempt(deliveryId: string): Promise<AttemptContext | undefined> {
    return this.loads.call(deliveryId);
  }

  private async loadMany(ids: string[]): Promise<Array<AttemptContext | undefined>> {
    const { rows } = await this.pool.query(
      `SELECT d.id, d.status, d.attempts, e.id AS event_id, e.type, e.payload::text AS payload, e.created_at AS event_created_at, e.traceparent,
              p.id AS endpoint_id, p.org_id, p.url, p.status AS endpoint_status, p.rate_limit_per_second, p.secret,
              p.previous_secret, p.previous_secret_expires_at, p.failing_since
       FROM webhooks.deliveries d
       JOIN webhooks.events e ON e.id = d.event_id
       JOIN webhooks.endpoints p ON p.id = d.endpoint_id
       WHERE d.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map<string, AttemptContext>();
    for (const r of rows) {
      byId.set(r.id, {
        deliveryId: r.id,
        status: r.status,
        attempts: r.attempts,
        event: { id: r.event_id, type: r.type, payload: r.payload, createdAt: r.event_created_at, traceparent: r.traceparent },
        endpoint: {
          id: r.endpoint_id,
          orgId: r.org_id,
          url: r.url,
          status: r.endpoint_status,
          rateLimitPerSecond: r.rate_limit_per_second,
          secret: r.secret,
          previousSecret: r.previous_secret,
          previousSecretExpiresAt: r.previous_secret_expires_at,
          failingSince: r.failing_since,
        },
      });
    }
    return ids.map((id) => byId.get(id));
  }

  recordAttempt(o: AttemptOutcome): Promise<void> {
    return this.records.call(o);
  }

  private async recordMany(list: AttemptOutcome[]): Promise<void[]> {
    const col = <T>(f: (o: AttemptOutcome) => T) => list.map(f);
    const touches = list.filter((o) => o.failingSince !== undefined);
    await Promise.all([
      this.pool.query(
        `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
             AS t(delivery_id, number, started_at, status_code, duration_ms, response_excerpt, error, status, next_attempt_at)
         ), a AS (
           INSERT INTO webhooks.attempts (delivery_id, number, started_at, status_code, duration_ms, response_excerpt, error)
           SELECT delivery_id, number, started_at, status_code, duration_ms, response_excerpt, error FROM input
           ON CONFLICT DO NOTHING
         )
         UPDATE webhooks.deliveries d SET status = i.status, attempts = GREATEST(d.attempts, i.number),
           last_status_code = i.status_code, last_error = i.error, next_attempt_at = i.next_attempt_at
         FROM input i WHERE d.id = i.delivery_id AND d.status = 'pending'`,
        [
          col((o) => o.deliveryId),
          col((o) => o.attempt.number),
          col((o) => o.attempt.startedAt),
          col((o) => o.attempt.statusCode),
          col((o) => o.attempt.durationMs),
          col((o) => o.attempt.responseExcerpt),
          col((o) => o.attempt.error),
          col((o) => o.status),
          col((o) => o.nextAttemptAt),
        ],
      ),
      ...touches.map((o) =>
        this.pool.query(`UPDATE webhooks.endpoints SET failing_since = $2::timestamptz WHERE id = $1`, [o.endpointId, o.failingSince]),
      ),
    ]);
    return list.map(() => undefined);
  }

  async disableEndpoint(id: string, reason: string): Promise<EndpointRow | undefined> {
    return this.tx(async (c) => {
      const { rows } = await c.query(
        `UPDATE webhooks.endpoints SET status = 'disabled', disabled_reason = $2, updated_at = now()
         WHERE id = $1 AND status = 'enabled' RETURNING ${ENDPOINT_COLUMNS}`,
        [id, reason],
      );
      if (!rows[0]) return undefined;
      await c.query(FAIL_PENDING, [id]);
      return toEndpoint(rows[0]);
    });
  }

  async dueDeliveries(overdueMs: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query(
      `SELECT id FROM webhooks.deliveries
       WHERE status = 'pending' AND next_attempt_at <= now()
         AND (enqueued_at IS NULL
              OR (enqueued_at <= now() - make_interval(secs => $1::double precision / 1000)
                  AND next_attempt_at <= now() - make_interval(secs => $1::double precision / 1000)))
       ORDER BY next_attempt_at LIMIT $2`,
      [overdueMs, limit],
    );
    return rows.map((r) => r.id as string);
  }

  async purgeEvents(before: Date, limit: number): Promise<number> {
    // Oldest first through events_created_at; an event with a pending delivery is kept (still in flight).
    const { rowCount } = await this.pool.query(
      `DELETE FROM webhooks.events WHERE id IN (
         SELECT e.id FROM webhooks.events e
         WHERE e.created_at < $1
           AND NOT EXISTS (SELECT 1 FROM webhooks.deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
         ORDER BY e.created_at LIMIT $2)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }
}
