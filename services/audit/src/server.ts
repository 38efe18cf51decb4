import { GrpcStatus, pgToRpcError, RpcError, withTimeout, type Logger, type ServiceImpl } from "@datahub/runtime";
import { audit } from "@datahub/proto";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { encodeCursor } from "./cursor";
import { MAX_BATCH, normalizeRecord, parseGetLog, parseLogQuery, parseUsageQuery } from "./validate";
import type { LogEntry, LogStore, UsageBucket } from "./store/types";

/** Method table of datahub.audit.v1.AuditService (for typed clients and handlers). */
export type AuditMethods = typeof audit.AuditService extends GenService<infer T> ? T : never;

/** A stored entry as the wire message (int64 fields are bigint in protobuf-es). */
export function toRecord(e: LogEntry): MessageInitShape<typeof audit.LogRecordSchema> {
  return { ...e, timestampMs: BigInt(e.timestampMs), bytesIn: BigInt(e.bytesIn), bytesOut: BigInt(e.bytesOut) };
}

function toBucket(b: UsageBucket): MessageInitShape<typeof audit.UsageBucketSchema> {
  return {
    bucketMs: BigInt(b.bucketMs),
    requests: BigInt(b.requests),
    errors: BigInt(b.errors),
    rateLimited: BigInt(b.rateLimited),
    p50Ms: b.p50Ms,
    p95Ms: b.p95Ms,
  };
}

/** Options for {@link createAuditService}. */
export interface AuditServiceOptions {
  logger: Logger;
  /** A store call slower than this fails with UNAVAILABLE instead of hanging the RPC. */
  timeoutMs: number;
  /** Called with the number of rows each successful AppendLogs stored (metrics). */
  onInserted?(rows: number): void;
  /** Clock for usage defaults (tests). */
  now?(): number;
}

/**
 * The AuditService RPC handlers over a {@link LogStore}: validation (INVALID_ARGUMENT naming the
 * field), store calls under a deadline, and database failures mapped to UNAVAILABLE.
 * Records are never logged: only counts and reasons.
 */
export function createAuditService(store: LogStore, opts: AuditServiceOptions): ServiceImpl<AuditMethods> {
  const now = opts.now ?? Date.now;
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(fn(), opts.timeoutMs);
    } catch (err) {
      throw pgToRpcError(err, "audit");
    }
  };

  return {
    // The edge's shipper, on the exchange protocol: each message is one batch of records.
    async appendLogsStream(req) {
      if (req.records.length > MAX_BATCH) {
        throw new RpcError(GrpcStatus.INVALID_ARGUMENT, `records: at most ${MAX_BATCH} per call, got ${req.records.length}`);
      }
      const entries: LogEntry[] = [];
      const reasons = new Map<string, number>();
      for (const r of req.records) {
        const result = normalizeRecord(r);
        if ("entry" in result) entries.push(result.entry);
        else reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
      }
      const rejected = req.records.length - entries.length;
      if (rejected > 0) opts.logger.warn({ rejected, reasons: Object.fromEntries(reasons) }, "audit records rejected");
      const accepted = await call(() => store.append(entries));
      opts.onInserted?.(accepted);
      return { accepted, rejected };
    },

    async queryLogs(req) {
      const q = parseLogQuery(req);
      const page = await call(() => store.query(q));
      return { records: page.records.map(toRecord), nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : "" };
    },

    async getLog(req) {
      const { orgId, requestId } = parseGetLog(req);
      const record = await call(() => store.get(orgId, requestId));
      if (!record) throw new RpcError(GrpcStatus.NOT_FOUND, "no request log with this request_id in this org");
      return { record: toRecord(record) };
    },

    async getUsage(req) {
      const q = parseUsageQuery(req, now());
      const buckets = await call(() => store.usage(q));
      return { buckets: buckets.map(toBucket) };
    },
  };
}
