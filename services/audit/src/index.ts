/**
 * The audit service: request logs (day-partitioned Postgres table, retention by DROP), per-minute
 * usage rollups, and the datahub.audit.v1.AuditService RPCs the edge calls.
 */
export { auditModule, migrateAudit, AUDIT_MIGRATIONS_DIR } from "./module";
export type { LogStore, LogEntry, LogQuery, LogPage, Cursor, UsageQuery, UsageBucket, Granularity } from "./store/types";
export { PgLogStore } from "./store/pg-store";
export { MemoryLogStore } from "./store/memory-store";
export { createAuditService, type AuditServiceOptions } from "./server";
export { runPartitionMaintenance, startPartitionMaintenance, partitionName, type MaintenanceResult, type PartitionOptions } from "./partitions";
export { LATENCY_BOUNDS_MS, estimateQuantile } from "./histogram";
export { isError, isRateLimited } from "./usage";
