import pg from "pg";
import { audit } from "@datahub/proto";
import { createRpcClient, startRunner, type Runner, type RpcClient } from "@datahub/runtime";
import { createTestDatabase, testConfig, testEnv, uniqueSuffix, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import { auditModule } from "../src";
import type { AuditMethods } from "../src/server";
import type { LogEntry } from "../src/store/types";


/** A running audit service on its own database, a typed client to it and a pool to inspect tables. */
export interface AuditHarness {
  runner: Runner;
  client: RpcClient<AuditMethods>;
  pool: pg.Pool;
  databaseUrl: string;
  grpcAddress: string;
  close(): Promise<void>;
}

/** Starts `auditModule` alone (target `audit`) over real gRPC and a fresh database. */
export async function startAudit(extra: Record<string, string> = {}, databaseUrl?: string): Promise<AuditHarness> {
  const db = databaseUrl ? undefined : await createTestDatabase();
  const url = databaseUrl ?? db!.url;
  const env = await testEnv({ databaseUrl: url, redisPrefix: `audit-${uniqueSuffix()}`, extra: { DATAHUB_TARGET: "audit", ...extra } });
  const runner = await startRunner({ config: testConfig(env), modules: [auditModule] });
  const grpcAddress = `127.0.0.1:${runner.ports.grpc}`;
  const client = createRpcClient(audit.AuditService, grpcAddress, { timeoutMs: 10_000, credentials: TEST_CREDENTIALS });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => {}); // idle clients die when a test cuts the connection; the next query reconnects
  return {
    runner,
    client,
    pool,
    databaseUrl: url,
    grpcAddress,
    async close() {
      client.close();
      await runner.stop();
      await pool.end();
      await db?.drop();
    },
  };
}

/** A stored entry as an AppendLogs record (int64 fields as bigint). */
export function wire(e: LogEntry) {
  return { ...e, timestampMs: BigInt(e.timestampMs), bytesIn: BigInt(e.bytesIn), bytesOut: BigInt(e.bytesOut) };
}

/** A partial request message init, for test helpers that fill in the rest. */
export type Init<T> = Omit<Partial<T>, "$typeName" | "$unknown">;
