/**
 * The last stage of the pipeline: for every request (every status, failed stages included) one
 * pino access-log line, the HTTP metrics, and one record pushed to the audit shipper. Runs on the
 * response's `close` event, which fires for completed and aborted exchanges alike.
 */
import type { audit } from "@datahub/proto";
import type { CounterSeries, HistogramSeries, Logger } from "@datahub/runtime";
import type { AuditShipper, LogRecordInit } from "./audit/shipper";
import type { EdgeResponse } from "./exchange";
import { normaliseMethod, UNMATCHED_ROUTE, type EdgeMetrics } from "./metrics";
import { endRequestSpan } from "./trace";

/** nginx's "client closed request": the client went away before the answer started. */
export const CLIENT_CLOSED = 499;

const MAX_PATH = 2048;
const MAX_UA = 512;

/** The per-request metric series of one route and method. */
interface RouteSeries {
  byStatus: Map<number, CounterSeries>;
  duration: HistogramSeries;
  upstream: HistogramSeries;
}

/** Writes the request log of each exchange. */
export class RequestLog {
  /** The `close` listener to attach to each response (shared, uses `this` = the response). */
  readonly onClose: (this: EdgeResponse) => void;
  private readonly series = new Map<string, Map<string, RouteSeries>>();
  private readonly overhead: HistogramSeries;

  constructor(
    private readonly metrics: EdgeMetrics,
    private readonly logger: Logger,
    private readonly shipper: AuditShipper,
  ) {
    this.overhead = metrics.overhead.labels();
    const self = this;
    this.onClose = function (this: EdgeResponse) {
      self.finish(this);
    };
  }

  /** Records one finished exchange. */
  finish(res: EdgeResponse): void {
    if (res.skipLog) return;
    const ctx = res.ctx;
    const totalNs = process.hrtime.bigint() - ctx.startedAt;
    const status = res.headersSent ? res.statusCode : CLIENT_CLOSED;
    if (status === CLIENT_CLOSED) ctx.error ??= "client_closed";
    const gatewayNs = res.gatewayNs !== 0n ? res.gatewayNs : totalNs - ctx.upstreamNs;
    const socket = res.socket ?? res.req.socket;
    const bytesOut = socket ? Math.max(0, socket.bytesWritten - res.socketBytesAtStart) : 0;
    // A complete message (with `$typeName`), not an init object: the AppendLogs serializer's
    // `create()` passes messages through instead of converting every record field by field.
    const record: audit.LogRecord = {
      $typeName: "datahub.audit.v1.LogRecord",
      requestId: ctx.requestId,
      timestampMs: BigInt(ctx.receivedAtMs),
      method: res.req.method ?? "",
      path: res.path.length > MAX_PATH ? res.path.slice(0, MAX_PATH) : res.path,
      route: ctx.route,
      status,
      durationMs: Number(totalNs) / 1e6,
      gatewayMs: Number(gatewayNs) / 1e6,
      keyId: ctx.principal?.keyId ?? "",
      orgId: ctx.principal?.orgId ?? "",
      clientIp: ctx.clientIp,
      userAgent: truncate(res.req.headers["user-agent"], MAX_UA),
      bytesIn: BigInt(res.bytesIn),
      bytesOut: BigInt(bytesOut),
      traceId: ctx.traceId ?? "",
      error: ctx.error ?? "",
      // Only with tracing on: the audit service's span of the batch links to the request's span.
      traceparent: res.span !== undefined ? (ctx.traceparent ?? "") : "",
    };
    if (res.span !== undefined) endRequestSpan(res, status);
    this.write(record, res.upstreamStartedAt !== 0n ? ctx.upstreamNs : undefined);
  }

  /** The metric series of a route and method, resolved once (routes and methods are bounded: metrics.ts). */
  private seriesOf(route: string, method: string): RouteSeries {
    let byMethod = this.series.get(route);
    if (byMethod === undefined) this.series.set(route, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (series === undefined) {
      const m = this.metrics;
      series = { byStatus: new Map(), duration: m.duration.labels(route, method), upstream: m.upstream.labels(route) };
      byMethod.set(method, series);
    }
    return series;
  }

  /** Records an exchange from its fields (also used for requests the HTTP parser rejected). */
  write(record: LogRecordInit & { route: string; method: string; status: number; durationMs: number; gatewayMs: number }, upstreamNs?: bigint): void {
    const route = record.route || UNMATCHED_ROUTE;
    const method = normaliseMethod(record.method);
    const series = this.seriesOf(route, method);
    let requests = series.byStatus.get(record.status);
    if (requests === undefined) series.byStatus.set(record.status, (requests = this.metrics.requests.labels(route, method, String(record.status))));
    requests.inc();
    series.duration.observe(record.durationMs / 1000);
    this.overhead.observe(record.gatewayMs / 1000);
    if (upstreamNs !== undefined) series.upstream.observe(Number(upstreamNs) / 1e9);
    // The access line's object is built only when `info` is on (the bench and busy setups run at warn).
    if (this.logger.isLevelEnabled("info")) this.logger.info(
      {
        requestId: record.requestId,
        traceId: record.traceId || undefined,
        method: record.method,
        path: record.path,
        route: record.route,
        status: record.status,
        durationMs: Math.round(record.durationMs * 100) / 100,
        keyId: record.keyId || undefined,
        error: record.error || undefined,
      },
      "request",
    );
    this.shipper.push(record);
  }
}

function truncate(v: string | undefined, max: number): string {
  if (v === undefined) return "";
  return v.length > max ? v.slice(0, max) : v;
}
