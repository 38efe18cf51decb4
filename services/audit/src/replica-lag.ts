/**
 * `datahub_audit_read_replica_lag_seconds`: how far the audit read replica (`AUDIT_READ_DATABASE_URL`)
 * is behind, read from the replica itself on every scrape. It is what a client waits at most for a
 * log it just caused to show in `GET /v1/logs` (docs/operations.md, "PostgreSQL: replicas and
 * pooling"). Zero while the replica has replayed everything it received, so an idle primary does
 * not look like lag; otherwise the age of the last replayed transaction. NaN when the replica
 * cannot be asked (it is down, or not a replica): the read path then answers 503 on its own.
 */
import type pg from "pg";
import type { Registry } from "prom-client";
import { gauge, type Logger } from "@datahub/runtime";

/** The lag query: `pg_last_*` are the replica's own view of what it received and replayed. */
export const REPLICA_LAG_SQL = `SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
  END::float8 AS lag`;

/** Options for {@link registerReplicaLag}. */
export interface ReplicaLagOptions {
  /** A scrape waits at most this long for the replica (the gauge reads NaN after). */
  timeoutMs?: number;
}

/** Registers the gauge; each scrape asks the replica through `pool`. */
export function registerReplicaLag(registry: Registry, pool: pg.Pool, logger: Logger, opts: ReplicaLagOptions = {}): void {
  const timeoutMs = opts.timeoutMs ?? 1000;
  let warned = false;
  gauge(registry, {
    name: "datahub_audit_read_replica_lag_seconds",
    help: "How far the audit read replica is behind the primary, in seconds (0 when it has replayed all it received; NaN when it cannot be asked).",
    async collect() {
      try {
        const { rows } = await pool.query<{ lag: number | null }>({ text: REPLICA_LAG_SQL, query_timeout: timeoutMs } as pg.QueryConfig);
        const lag = rows[0]?.lag;
        this.set(lag === null || lag === undefined ? Number.NaN : Math.max(0, lag));
        warned = false;
      } catch (err) {
        this.set(Number.NaN);
        // Once per outage: scrapes every few seconds must not flood the log.
        if (!warned) logger.warn({ err: { message: (err as Error).message } }, "audit read replica lag unknown: the replica did not answer");
        warned = true;
      }
    },
  });
}
