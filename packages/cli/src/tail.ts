import { randomUUID } from "node:crypto";
import type { LogRecord } from "@datahub/client";
import { connect, type ApiOptions } from "./api";
import { logQuery, LOG_COLUMNS, type LogFilterOptions } from "./commands/logs";
import { cell } from "./output";

/** How far back each poll looks again: the edge ships records in batches, so they land late and out of order. */
const LOOKBACK_MS = 30_000;
/** The most records one poll reads (pages of 1000); a busier org is sampled rather than chased for ever. */
const MAX_PER_POLL = 5_000;

/** One record as one line: the table's columns, tab-separated, for people and for `cut`/`awk`. */
function line(r: LogRecord): string {
  return LOG_COLUMNS.map(([, read]) => cell(read(r))).join("\t");
}

/**
 * `datahub logs tail`: polls `GET /v1/logs` every `interval` ms and prints the records that arrived
 * since it started, oldest first, until SIGINT/SIGTERM (then resolves: exit 0). Each poll re-reads
 * the last 30 s, since records arrive late; ids seen in that window are remembered to print each
 * once, and the first poll only fills that memory (what was there before is history). The
 * tail's own polls are logged too, under a request id of its own, and skipped, or every poll would
 * print the previous one. With `--json`, one record per line (NDJSON).
 */
export async function tailLogs(opts: ApiOptions & LogFilterOptions & { interval: number }): Promise<void> {
  const interval = Math.min(Math.max(opts.interval, 500), 60_000);
  const ownId = `datahub-logs-tail-${randomUUID()}`;
  const client = connect(opts, { "x-request-id": ownId });
  const seen = new Map<string, number>();
  let since = Date.now() - LOOKBACK_MS;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (let first = true; ; first = false) {
      const fresh: LogRecord[] = [];
      let read = 0;
      for await (const r of client.logs.query({ ...logQuery(opts), from: String(since), limit: 1000 })) {
        if (++read > MAX_PER_POLL) break;
        // A client may reuse a request id; the id with its timestamp is one record.
        const id = `${r.requestId} ${r.timestamp}`;
        if (r.requestId === ownId || seen.has(id)) continue;
        seen.set(id, Date.parse(r.timestamp));
        if (!first) fresh.push(r);
      }
      fresh.reverse(); // the API gives newest first; a tail prints oldest first
      for (const r of fresh) {
        if (opts.json) process.stdout.write(JSON.stringify(r) + "\n");
        else process.stdout.write(line(r) + "\n");
      }
      since = Math.max(since, Date.now() - LOOKBACK_MS);
      for (const [id, at] of seen) if (at < since) seen.delete(id);
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<"tick">((r) => (timer = setTimeout(() => r("tick"), interval)));
      const next = await Promise.race([tick, stopped.then(() => "stop" as const)]);
      clearTimeout(timer);
      if (next === "stop") return;
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
