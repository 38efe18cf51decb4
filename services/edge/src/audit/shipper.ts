/**
 * Ships request-log records to the audit service off the request path. Records go into a bounded
 * in-memory buffer; a timer sends them in batches (`AppendLogs`). When audit is down, batches go
 * back to the front of the buffer and are retried with exponential backoff; when the buffer is
 * full, the OLDEST records are dropped and counted (Kong and APISIX dropped silently; we count):
 * `datahub_audit_records_total{outcome="shipped"|"dropped"|"failed"}` ("failed" counts records of
 * failed attempts, which are retried) and the gauge `datahub_audit_buffer_records`.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { audit } from "@datahub/proto";
import { Counter, counter, gauge, type Logger, type Registry } from "@datahub/runtime";
import { RingBuffer } from "./ring-buffer";

/** One request-log record as the edge builds it. */
export type LogRecordInit = MessageInitShape<typeof audit.LogRecordSchema>;

/** The AppendLogs call as the shipper needs it (the real gRPC client or an in-memory fake). */
export type AppendFn = (records: LogRecordInit[]) => Promise<{ rejected?: number } | void>;

/** Options for {@link AuditShipper}. */
export interface AuditShipperOptions {
  append: AppendFn;
  batchSize: number;
  bufferSize: number;
  flushMs: number;
  /** Longest wait between retries while audit is down (default 5000 ms). */
  maxBackoffMs?: number;
  logger: Logger;
  registry: Registry;
}

/** Buffers and ships request-log records. Call {@link start} once, {@link stop} on shutdown. */
export class AuditShipper {
  private readonly buffer: RingBuffer<LogRecordInit>;
  private readonly records: Counter<"outcome">;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private backoffMs = 0;
  private nextAttemptAt = 0;
  private stopped = false;
  private warnedDrop = false;

  constructor(private readonly opts: AuditShipperOptions) {
    this.buffer = new RingBuffer(opts.bufferSize);
    const { registry } = opts;
    this.records = counter(registry, {
      name: "datahub_audit_records_total",
      help: "Request-log records by outcome at the edge: shipped to audit, dropped (buffer full), failed (a send attempt failed; retried).",
      labelNames: ["outcome"] as const,
    });
    const buffer = this.buffer;
    gauge(registry, {
      name: "datahub_audit_buffer_records",
      help: "Request-log records waiting at the edge to be shipped.",
      collect() {
        this.set(buffer.size);
      },
    });
  }

  /** Records waiting to be shipped. */
  get pending(): number {
    return this.buffer.size;
  }

  /** Queues one record; never blocks, never throws. */
  push(record: LogRecordInit): void {
    if (this.buffer.push(record)) this.dropped(1);
    if (this.buffer.size >= this.opts.batchSize && this.sending === undefined && this.backoffMs === 0) void this.sendOne();
  }

  /** Starts the flush timer. */
  start(): void {
    this.timer = setInterval(() => {
      if (this.sending === undefined && this.buffer.size > 0 && Date.now() >= this.nextAttemptAt) void this.sendOne();
    }, this.opts.flushMs);
    this.timer.unref();
  }

  /**
   * Stops the timer and ships everything left, for at most `timeoutMs`; what cannot be shipped
   * by then is counted as dropped.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    await this.sending;
    while (this.buffer.size > 0 && Date.now() < deadline) {
      const ok = await this.sendOne();
      if (!ok) await new Promise((r) => setTimeout(r, Math.min(this.backoffMs, Math.max(0, deadline - Date.now()))));
    }
    if (this.buffer.size > 0) {
      const left = this.buffer.shift(this.buffer.size).length;
      this.dropped(left);
      this.opts.logger.error({ dropped: left }, "audit unreachable at shutdown; request-log records dropped");
    }
  }

  /** Sends one batch; resolves true on success. Only one send is in flight at a time. */
  private sendOne(): Promise<boolean> {
    const batch = this.buffer.shift(this.opts.batchSize);
    if (batch.length === 0) return Promise.resolve(true);
    let ok = false;
    const p = this.opts.append(batch).then(
      (res) => {
        ok = true;
        // Records audit refused as invalid are lost: count them as dropped, not shipped.
        const rejected = Math.min(batch.length, res?.rejected ?? 0);
        if (rejected > 0) this.dropped(rejected);
        if (batch.length > rejected) this.records.inc({ outcome: "shipped" }, batch.length - rejected);
        if (this.backoffMs !== 0) this.opts.logger.info("audit reachable again; shipping request logs");
        this.backoffMs = 0;
        this.nextAttemptAt = 0;
      },
      (err: Error) => {
        this.records.inc({ outcome: "failed" }, batch.length);
        const dropped = this.buffer.unshift(batch);
        if (dropped > 0) this.dropped(dropped);
        if (this.backoffMs === 0) this.opts.logger.warn({ err: { message: err.message }, pending: this.buffer.size }, "audit AppendLogs failed; retrying with backoff");
        this.backoffMs = Math.min(this.backoffMs === 0 ? this.opts.flushMs : this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
        this.nextAttemptAt = Date.now() + this.backoffMs;
      },
    );
    this.sending = p.finally(() => {
      this.sending = undefined;
      // Keep draining while there is a full batch waiting and audit is healthy.
      if (ok && !this.stopped && this.buffer.size >= this.opts.batchSize) void this.sendOne();
    });
    return this.sending.then(() => ok);
  }

  private dropped(n: number): void {
    this.records.inc({ outcome: "dropped" }, n);
    if (!this.warnedDrop) {
      this.warnedDrop = true;
      this.opts.logger.warn({ bufferSize: this.opts.bufferSize }, "request-log buffer full; dropping the oldest records (counted in datahub_audit_records_total{outcome=\"dropped\"})");
    }
  }
}
