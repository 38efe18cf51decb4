import type { Command } from "commander";
import type { LogRecord, QueryLogsQuery } from "@datahub/client";
import { apiCommand, connect, positiveInt, type ApiOptions } from "../api";
import { printList, type ListOptions } from "../list-output";
import { printFields, printJson, type Column } from "../output";
import { httpStatus } from "../parse";
import { tailLogs } from "../tail";

/** The filters `logs query` and `logs tail` share. */
export interface LogFilterOptions {
  keyId?: string;
  status?: number;
  method?: string;
  path?: string;
  org?: string;
}

/** Log records as table rows: one request per line. */
export const LOG_COLUMNS: Column<LogRecord>[] = [
  ["TIME", (r) => r.timestamp],
  ["STATUS", (r) => r.status],
  ["METHOD", (r) => r.method],
  ["PATH", (r) => r.path],
  ["MS", (r) => Math.round(r.durationMs * 10) / 10],
  ["KEY", (r) => r.keyId],
  ["ERROR", (r) => r.error],
  ["REQUEST ID", (r) => r.requestId],
];

const filters = (cmd: Command) =>
  cmd
    .option("--key-id <keyId>", "only requests made with this key")
    .option("--status <code>", "only answers with this status", httpStatus)
    .option("--method <method>", "only this HTTP method")
    .option("--path <prefix>", "only paths starting with this prefix")
    .option("--org <orgId>", "whose logs (root key only; default: the caller's org)");

/** The API query of the shared filters. */
export function logQuery(opts: LogFilterOptions): QueryLogsQuery {
  return { keyId: opts.keyId, status: opts.status, method: opts.method, path: opts.path, orgId: opts.org };
}

/** `datahub logs query|get|tail` over `/v1/logs`. */
export function registerLogs(program: Command): void {
  const logs = program.command("logs").description("request logs of an org");

  apiCommand(
    filters(logs.command("query").description("request records, newest first"))
      .option("--from <time>", "inclusive start: ISO-8601 time or date, or Unix ms")
      .option("--to <time>", "exclusive end")
      .option("--limit <n>", "records per page (1-1000)", positiveInt)
      .option("--cursor <cursor>", "start at this page")
      .option("--all", "every page (mind the volume: bound it with --from/--to)"),
  ).action(async (opts: ApiOptions & LogFilterOptions & ListOptions & { from?: string; to?: string }) => {
    const pages = connect(opts).logs.query({ ...logQuery(opts), from: opts.from, to: opts.to, limit: opts.limit, cursor: opts.cursor });
    await printList(pages, opts, LOG_COLUMNS);
  });

  apiCommand(
    logs.command("get").description("one request's record").argument("<requestId>").option("--org <orgId>", "whose logs (root key only; default: the caller's org)"),
  ).action(async (requestId: string, opts: ApiOptions & { org?: string }) => {
    const record = await connect(opts).logs.get(requestId, opts.org === undefined ? {} : { orgId: opts.org });
    if (opts.json) printJson(record);
    else printFields(record);
  });

  apiCommand(
    filters(logs.command("tail").description("print requests as they arrive, until Ctrl-C")).option(
      "--interval <ms>",
      "how often to poll (500-60000; default 2000)",
      positiveInt,
      2000,
    ),
  ).action(async (opts: ApiOptions & LogFilterOptions & { interval: number }) => {
    await tailLogs(opts);
  });
}
