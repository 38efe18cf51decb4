/**
 * How a batch of request logs enters `audit.request_logs`: one `COPY ... FROM STDIN` in text
 * format. Measured against the multi-row `INSERT ... SELECT FROM unnest(16 arrays)` it replaced
 * (docs/architecture.md, "Measured choices"): less CPU in the audit service (no array literals
 * to build and escape per column) and in Postgres (no array parsing and unnest), with the same
 * all-or-nothing transaction around it and the same routing into day partitions.
 */
import type { ClientBase } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { LogEntry } from "./types";

/** The statement; its columns are the order in which {@link copyLogRows} writes each row. */
export const COPY_LOGS = `COPY audit.request_logs (ts, org_id, key_id, request_id, method, path, route, status, duration_ms,
  gateway_ms, client_ip, user_agent, bytes_in, bytes_out, trace_id, error) FROM STDIN`;

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * One text value in COPY's text format: backslash, newline, carriage return and tab escaped, so a
 * value can never end its row or column early, nor read as `\N` (NULL) or the `\.` end marker.
 * NULs never get here (validate.ts drops them; Postgres text cannot hold them).
 */
export function copyText(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

/** The batch as COPY text rows (tab-separated, one line per record). */
export function copyLogRows(entries: readonly LogEntry[]): string {
  let out = "";
  for (const e of entries) {
    out +=
      new Date(e.timestampMs).toISOString() + "\t" + copyText(e.orgId) + "\t" + copyText(e.keyId) + "\t" + copyText(e.requestId) + "\t" +
      copyText(e.method) + "\t" + copyText(e.path) + "\t" + copyText(e.route) + "\t" + e.status + "\t" + e.durationMs + "\t" +
      e.gatewayMs + "\t" + copyText(e.clientIp) + "\t" + copyText(e.userAgent) + "\t" + e.bytesIn + "\t" + e.bytesOut + "\t" +
      copyText(e.traceId) + "\t" + copyText(e.error) + "\n";
  }
  return out;
}

/** Copies the batch in on `client` (inside the caller's transaction); resolves with the rows written. */
export function copyLogs(client: ClientBase, entries: readonly LogEntry[]): Promise<number> {
  const stream = client.query(copyFrom(COPY_LOGS));
  return new Promise((resolve, reject) => {
    stream.on("error", reject);
    stream.on("finish", () => resolve(stream.rowCount));
    stream.end(copyLogRows(entries));
  });
}
