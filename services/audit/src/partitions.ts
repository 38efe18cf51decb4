import type { Pool, PoolClient } from "pg";
import type { Logger } from "@datahub/runtime";

const DAY_MS = 86_400_000;
const PARENT = "audit.request_logs";
const DEFAULT_PARTITION = "audit.request_logs_default";
const NAME = /^request_logs_p(\d{4})(\d{2})(\d{2})$/;
// Any 64-bit constant works; it only has to be the same in every replica.
const LOCK_KEY = 0x6461746168756201n; // "datahub\x01"

/** Options of one maintenance run. */
export interface PartitionOptions {
  /** Days after today to create partitions for (`config.audit.partitionsAhead`). */
  partitionsAhead: number;
  /** Partitions whose whole day ended more than this many days ago are dropped (`config.audit.retentionDays`). */
  retentionDays: number;
  /** Clock (tests). */
  nowMs?: number;
  /** How long DDL may wait for a lock before giving up until the next run, in ms. */
  lockTimeoutMs?: number;
}

/** What one run did. `skipped` means another replica held the maintenance lock. */
export interface MaintenanceResult {
  skipped: boolean;
  created: string[];
  dropped: string[];
  /** Rows moved out of the DEFAULT partition into their day's partition. */
  moved: number;
  /** Rows deleted from the DEFAULT partition because they were older than the retention. */
  expired: number;
  /** Usage rollup rows deleted because they were older than the retention. */
  usageRowsDeleted: number;
}

const startOfUtcDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** Partition name of the UTC day starting at `dayMs`: `request_logs_pYYYYMMDD`. */
export function partitionName(dayMs: number): string {
  return `request_logs_p${new Date(dayMs).toISOString().slice(0, 10).replace(/-/g, "")}`;
}

/** Start of the UTC day a partition name stands for, or undefined for other tables. */
export function partitionDay(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Creates the partition of one UTC day. When the DEFAULT partition already holds rows of that day
 * (Postgres would refuse the new partition), they are moved into it in the same transaction.
 * Returns the number of rows moved, or -1 when the partition already existed.
 */
export async function createDayPartition(client: PoolClient, dayMs: number): Promise<number> {
  const name = partitionName(dayMs);
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [`audit.${name}`]);
  if (rows[0]?.exists) return -1;
  const from = iso(dayMs);
  const to = iso(dayMs + DAY_MS);
  await client.query("BEGIN");
  try {
    await client.query(`LOCK TABLE ${DEFAULT_PARTITION} IN SHARE ROW EXCLUSIVE MODE`);
    const stray = await client.query(`SELECT 1 FROM ${DEFAULT_PARTITION} WHERE ts >= $1 AND ts < $2 LIMIT 1`, [from, to]);
    let moved = 0;
    if (stray.rowCount === 0) {
      await client.query(`CREATE TABLE IF NOT EXISTS audit.${name} PARTITION OF ${PARENT} FOR VALUES FROM ('${from}') TO ('${to}')`);
    } else {
      await client.query(`CREATE TABLE audit.${name} (LIKE ${PARENT} INCLUDING DEFAULTS)`);
      const res = await client.query(
        `WITH gone AS (DELETE FROM ${DEFAULT_PARTITION} WHERE ts >= $1 AND ts < $2 RETURNING *) INSERT INTO audit.${name} SELECT * FROM gone`,
        [from, to],
      );
      moved = res.rowCount ?? 0;
      await client.query(`ALTER TABLE ${PARENT} ATTACH PARTITION audit.${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
    }
    await client.query("COMMIT");
    return moved;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/**
 * One maintenance pass, safe to run from every replica at once (a session advisory lock lets one
 * of them work; the others skip): creates partitions from yesterday to today + partitionsAhead,
 * rescues rows parked in DEFAULT into their day's partition, and DROPs partitions wholly older
 * than the retention. Raw request logs are never DELETEd; only stray DEFAULT rows past the
 * retention and old usage rollups are (both small).
 */
export async function runPartitionMaintenance(pool: Pool, opts: PartitionOptions): Promise<MaintenanceResult> {
  const now = opts.nowMs ?? Date.now();
  const today = startOfUtcDay(now);
  const cutoff = today - opts.retentionDays * DAY_MS; // partitions ending at or before this go
  const result: MaintenanceResult = { skipped: false, created: [], dropped: [], moved: 0, expired: 0, usageRowsDeleted: 0 };
  const client = await pool.connect();
  let locked = false;
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err); // see PgLogStore.append: a dead connection emits 'error'
  client.on("error", onError);
  try {
    await client.query(`SET lock_timeout = ${Math.max(1, Math.trunc(opts.lockTimeoutMs ?? 5000))}`);
    await client.query("SET statement_timeout = 0");
    locked = (await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [LOCK_KEY.toString()])).rows[0]!.ok;
    if (!locked) return { ...result, skipped: true };

    const days = new Set<number>();
    for (let d = today - DAY_MS; d <= today + opts.partitionsAhead * DAY_MS; d += DAY_MS) days.add(d);
    // Days parked in DEFAULT (a partition was missing when they arrived) that are still retained.
    const stray = await client.query<{ day: Date }>(
      `SELECT DISTINCT date_bin('1 day', ts, timestamptz 'epoch') AS day FROM ${DEFAULT_PARTITION} WHERE ts >= $1 AND ts < $2`,
      [iso(cutoff), iso(today + (opts.partitionsAhead + 1) * DAY_MS)],
    );
    for (const r of stray.rows) days.add(r.day.getTime());

    for (const day of [...days].sort((a, b) => a - b)) {
      const moved = await createDayPartition(client, day);
      if (moved >= 0) {
        result.created.push(partitionName(day));
        result.moved += moved;
      }
    }

    const parts = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`,
      [PARENT],
    );
    for (const { name } of parts.rows) {
      const day = partitionDay(name);
      if (day === undefined || day + DAY_MS > cutoff) continue;
      await client.query(`DROP TABLE IF EXISTS audit.${name}`);
      result.dropped.push(name);
    }
    result.expired = (await client.query(`DELETE FROM ${DEFAULT_PARTITION} WHERE ts < $1`, [iso(cutoff)])).rowCount ?? 0;
    result.usageRowsDeleted = (await client.query("DELETE FROM audit.usage_minute WHERE minute < $1", [iso(cutoff)])).rowCount ?? 0;
    result.usageRowsDeleted += (await client.query("DELETE FROM audit.usage_hour WHERE hour < $1", [iso(cutoff)])).rowCount ?? 0;
    return result;
  } finally {
    if (locked) await client.query("SELECT pg_advisory_unlock($1::bigint)", [LOCK_KEY.toString()]).catch(() => {});
    await client.query("RESET lock_timeout; RESET statement_timeout").catch(() => {});
    client.off("error", onError);
    client.release(broken);
  }
}

/** A running maintenance loop. */
export interface PartitionMaintenance {
  /** Runs one pass now (also what the timer does); never throws, logs failures. */
  runNow(): Promise<MaintenanceResult | undefined>;
  /** Clears the timer. */
  stop(): void;
}

/**
 * Runs {@link runPartitionMaintenance} now and every `intervalMs` (default one hour). The timer
 * is unref'd so it never keeps the process alive; failures are logged and retried next time
 * (rows still land in DEFAULT meanwhile, so nothing is lost).
 */
export function startPartitionMaintenance(
  pool: Pool,
  opts: PartitionOptions & { intervalMs?: number; onResult?(r: MaintenanceResult): void },
  logger: Logger,
): PartitionMaintenance {
  let running: Promise<MaintenanceResult | undefined> | undefined;
  const runNow = () =>
    (running ??= runPartitionMaintenance(pool, { ...opts, nowMs: undefined })
      .then((r) => {
        if (r.created.length || r.dropped.length || r.moved || r.expired) logger.info(r, "audit partition maintenance");
        opts.onResult?.(r);
        return r;
      })
      .catch((err: Error) => {
        logger.warn({ err: { message: err.message } }, "audit partition maintenance failed; retrying next interval");
        return undefined;
      })
      .finally(() => (running = undefined)));
  const timer = setInterval(() => void runNow(), opts.intervalMs ?? 3_600_000);
  timer.unref();
  return { runNow, stop: () => clearInterval(timer) };
}
