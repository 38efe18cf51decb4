import type { LogEntry, LogPage, LogQuery, LogStore, UsageBucket, UsageQuery } from "./types";

/**
 * A {@link LogStore} whose writes go to one store (the primary) and whose reads go to another
 * (a streaming replica, `AUDIT_READ_DATABASE_URL`). Reads may lag the writes by the replication
 * delay; a read store that is down fails reads only (UNAVAILABLE), never `append`.
 */
export class ReadSplitLogStore implements LogStore {
  constructor(
    private readonly writes: LogStore,
    private readonly reads: LogStore,
  ) {}

  append(records: LogEntry[]): Promise<number> {
    return this.writes.append(records);
  }

  query(q: LogQuery): Promise<LogPage> {
    return this.reads.query(q);
  }

  get(orgId: string, requestId: string): Promise<LogEntry | undefined> {
    return this.reads.get(orgId, requestId);
  }

  usage(q: UsageQuery): Promise<UsageBucket[]> {
    return this.reads.usage(q);
  }
}
