import { fileURLToPath } from "node:url";
import { audit } from "@datahub/proto";
import { type Config, counter, createPgPool, type DatahubModule, type Logger, migrate } from "@datahub/runtime";
import { startPartitionMaintenance } from "./partitions";
import { createAuditService } from "./server";
import { PgLogStore } from "./store/pg-store";
import { ReadSplitLogStore } from "./store/read-split";
import { registerReplicaLag } from "./replica-lag";

/** The audit service's SQL migrations (node-pg-migrate SQL files). */
export const AUDIT_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

/** Statement timeout of the audit pool; a store call slower than this fails with UNAVAILABLE. */
const STATEMENT_TIMEOUT_MS = 10_000;

/**
 * Applies the audit service's migrations (schema `audit`) over `config.databaseDirectUrls.audit`
 * (a session: node-pg-migrate holds an advisory lock, which a transaction-mode pooler would break).
 * @returns names of the migrations applied by this call.
 */
export function migrateAudit(config: Config, logger: Logger): Promise<string[]> {
  return migrate({ databaseUrl: config.databaseDirectUrls.audit, schema: "audit", dir: AUDIT_MIGRATIONS_DIR, logger });
}

/**
 * The audit service: stores request logs batched by the edge in day partitions of
 * `audit.request_logs`, keeps per-minute usage rollups, answers log and usage queries, and
 * drops partitions past the retention.
 */
export const auditModule: DatahubModule = {
  name: "audit",
  requires: ["grpc"],
  async start(ctx) {
    const { config, logger, registry } = ctx;
    await migrateAudit(config, logger);
    const pool = createPgPool(
      config.databaseUrls.audit,
      { applicationName: "datahub-audit", max: 10, statementTimeoutMs: STATEMENT_TIMEOUT_MS },
      logger,
    );
    // Maintenance SETs session timeouts and takes a session advisory lock: it needs a connection of
    // its own, not a pooler's. Without a separate direct URL it shares the service's pool.
    const direct = config.databaseDirectUrls.audit;
    const maintenancePool =
      direct === config.databaseUrls.audit ? pool : createPgPool(direct, { applicationName: "datahub-audit-maintenance", max: 1 }, logger);
    // Queries may go to a streaming replica; the write path keeps the primary pool.
    const readUrl = config.auditReadDatabaseUrl;
    const readPool =
      readUrl === undefined ? undefined : createPgPool(readUrl, { applicationName: "datahub-audit-read", max: 10, statementTimeoutMs: STATEMENT_TIMEOUT_MS }, logger);
    if (readPool !== undefined) registerReplicaLag(registry, readPool, logger);
    const inserted = counter(registry, {
      name: "datahub_audit_rows_inserted_total",
      help: "Request log rows stored by the audit service.",
    });
    const dropped = counter(registry, {
      name: "datahub_audit_partitions_dropped_total",
      help: "Day partitions of audit.request_logs dropped by retention.",
    });

    const maintenance = startPartitionMaintenance(
      maintenancePool,
      {
        partitionsAhead: config.audit.partitionsAhead,
        retentionDays: config.audit.retentionDays,
        onResult: (r) => dropped.inc(r.dropped.length),
      },
      logger,
    );
    await maintenance.runNow();

    const primary = new PgLogStore(pool);
    const store = readPool ? new ReadSplitLogStore(primary, new PgLogStore(readPool)) : primary;
    ctx.grpc.addService(
      audit.AuditService,
      createAuditService(store, { logger, timeoutMs: STATEMENT_TIMEOUT_MS, onInserted: (n) => inserted.inc(n) }),
    );
    // Readiness probes the primary only: a replica outage fails log queries (503), but taking the
    // service out of rotation for it would stop the writes too.
    ctx.health.addCheck("postgres", async () => {
      await pool.query("SELECT 1");
      return true;
    });

    return {
      info: { pool, readPool },
      async stop() {
        maintenance.stop();
        await pool.end();
        if (maintenancePool !== pool) await maintenancePool.end();
        await readPool?.end();
      },
    };
  },
};
