import { mergeInto } from "../histogram";
import { denseBuckets, GRANULARITY_MS, rollupByMinute, type BucketSums, type MinuteRollup } from "../usage";
import type { LogEntry, LogPage, LogQuery, LogStore, UsageBucket, UsageQuery } from "./types";

interface Row {
  entry: LogEntry;
  id: number;
}

/** Newest first: timestamp descending, then id descending (the Postgres index order). */
const newestFirst = (a: Row, b: Row) => b.entry.timestampMs - a.entry.timestampMs || b.id - a.id;

/**
 * An in-memory {@link LogStore} with the same semantics as the Postgres one (filters, cursors,
 * rollups); for unit tests and for trying the service without a database. Not for production:
 * it has no retention and every query is a scan.
 */
export class MemoryLogStore implements LogStore {
  private rows: Row[] = [];
  private readonly minutes = new Map<string, MinuteRollup>();
  private nextId = 1;

  async append(records: LogEntry[]): Promise<number> {
    for (const entry of records) this.rows.push({ entry: { ...entry }, id: this.nextId++ });
    for (const m of rollupByMinute(records)) {
      const id = `${m.orgId}\u0000${m.keyId}\u0000${m.minuteMs}`;
      const prev = this.minutes.get(id);
      if (!prev) this.minutes.set(id, { ...m, latency: [...m.latency] });
      else {
        prev.requests += m.requests;
        prev.errors += m.errors;
        prev.rateLimited += m.rateLimited;
        mergeInto(prev.latency, m.latency);
      }
    }
    return records.length;
  }

  async query(q: LogQuery): Promise<LogPage> {
    const c = q.cursor;
    const matches = this.rows
      .filter(({ entry: e, id }) =>
        e.orgId === q.orgId &&
        (q.keyId === undefined || e.keyId === q.keyId) &&
        (q.status === undefined || e.status === q.status) &&
        (q.method === undefined || e.method === q.method) &&
        (q.pathPrefix === undefined || e.path.startsWith(q.pathPrefix)) &&
        (q.fromMs === undefined || e.timestampMs >= q.fromMs) &&
        (q.toMs === undefined || e.timestampMs < q.toMs) &&
        (c === undefined || e.timestampMs < c.tsMs || (e.timestampMs === c.tsMs && id < c.id)),
      )
      .sort(newestFirst);
    const page = matches.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      records: page.map((r) => ({ ...r.entry })),
      nextCursor: matches.length > q.limit && last ? { tsMs: last.entry.timestampMs, id: last.id } : undefined,
    };
  }

  async get(orgId: string, requestId: string): Promise<LogEntry | undefined> {
    const found = this.rows.filter((r) => r.entry.orgId === orgId && r.entry.requestId === requestId).sort(newestFirst)[0];
    return found ? { ...found.entry } : undefined;
  }

  async usage(q: UsageQuery): Promise<UsageBucket[]> {
    const step = GRANULARITY_MS[q.granularity];
    const sums: BucketSums[] = [];
    for (const m of this.minutes.values()) {
      if (m.orgId !== q.orgId || (q.keyId !== undefined && m.keyId !== q.keyId)) continue;
      if (m.minuteMs < q.fromMs || m.minuteMs >= q.toMs) continue;
      sums.push({ ...m, bucketMs: Math.floor(m.minuteMs / step) * step });
    }
    return denseBuckets(q.fromMs, q.toMs, q.granularity, sums);
  }

  /** Drops records older than `cutoffMs` (what dropping partitions does in Postgres). */
  prune(cutoffMs: number): void {
    this.rows = this.rows.filter((r) => r.entry.timestampMs >= cutoffMs);
  }
}
