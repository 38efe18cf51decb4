import { readdirSync } from "node:fs";
import pg from "pg";
import { runner } from "node-pg-migrate";
import type { Logger } from "./logger";
import { trackPgPool } from "./dependency-metrics";

export type Pool = pg.Pool;

// BIGINT (int8) and NUMERIC come back as strings by default; our counters and ids fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Options for {@link createPgPool}. */
export interface PgPoolOptions {
  /** Pool size; keep it small: each service instance gets its own pool. */
  max?: number;
  /** Shows up in `pg_stat_activity.application_name`. */
  applicationName: string;
  /** Statement timeout in ms, so a slow Postgres fails calls instead of piling them up. */
  statementTimeoutMs?: number;
}

/** Creates a pg Pool whose idle-client errors are logged instead of crashing the process. */
export function createPgPool(url: string, opts: PgPoolOptions, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", (err) => logger.warn({ err: { message: err.message } }, "idle postgres client failed"));
  trackPgPool(pool, opts.applicationName, opts.max ?? 10);
  return pool;
}

/** Creates the database named in `url` when it does not exist (quick start and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((e: { code?: string }) => {
        if (e.code !== "42P04") throw e; // created concurrently by another service
      });
    }
  } finally {
    await client.end();
  }
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  databaseUrl: string;
  /** The service's own schema; its migration history lives there too. */
  schema: string;
  /** Folder of `NNNN_name.sql` files with `-- Up Migration` / `-- Down Migration` sections. */
  dir: string;
  logger: Logger;
}

/**
 * Applies a service's pending migrations with node-pg-migrate: SQL files, a history table per
 * schema, and an advisory lock so replicas starting together apply each migration once.
 */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  await ensureDatabase(opts.databaseUrl);
  const applied = await runner({
    databaseUrl: opts.databaseUrl,
    dir: opts.dir,
    direction: "up",
    migrationsTable: "schema_migrations",
    migrationsSchema: opts.schema,
    schema: opts.schema,
    createSchema: true,
    createMigrationsSchema: true,
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: "wait",
    log: () => {},
    logger: { debug: () => {}, info: () => {}, warn: (m: string) => opts.logger.warn(m), error: (m: string) => opts.logger.error(m) },
  });
  if (applied.length) opts.logger.info({ schema: opts.schema, migrations: applied.map((m) => m.name) }, "migrations applied");
  return applied.map((m) => m.name);
}

/** One migration of a service and whether the database has it. */
export interface MigrationState {
  name: string;
  applied: boolean;
  /** When it was applied; null while pending. */
  runOn: Date | null;
}

/**
 * The migrations of `dir` and which of them the database has, read from the schema's history
 * table. Changes nothing: a database, schema or history table that does not exist yet means every
 * migration is pending (no `ensureDatabase`, no lock), so it is safe against production.
 */
export async function migrationStatus(opts: Omit<MigrateOptions, "logger">): Promise<MigrationState[]> {
  // node-pg-migrate names a migration after its file without the extension.
  const files = readdirSync(opts.dir)
    .filter((f) => /\.(sql|js|ts|cjs|mjs)$/.test(f))
    .map((f) => f.replace(/\.[^.]+$/, ""))
    .sort();
  const applied = new Map<string, Date>();
  const client = new pg.Client({ connectionString: opts.databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const table = `"${opts.schema.replace(/"/g, '""')}".schema_migrations`;
    const { rows } = await client.query<{ name: string; run_on: Date }>(`SELECT name, run_on FROM ${table}`);
    for (const r of rows) applied.set(r.name, r.run_on);
  } catch (err) {
    // 3D000: no such database; 3F000: no such schema; 42P01: no history table. All mean "nothing applied yet".
    if (!["3D000", "3F000", "42P01"].includes((err as { code?: string }).code ?? "")) throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
  const names = [...new Set([...files, ...applied.keys()])].sort();
  return names.map((name) => ({ name, applied: applied.has(name), runOn: applied.get(name) ?? null }));
}

/**
 * Runs `fn` inside BEGIN … COMMIT on one pooled client; on failure rolls back and rethrows. A
 * checked-out client emits 'error' when its connection dies (an unhandled event would crash the
 * process; the failing query rejects anyway), so a listener records it, and a client whose
 * connection broke or could not roll back is destroyed instead of returned to the pool.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err);
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken ??= err as Error;
    }
    throw err;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}
