/**
 * The log explorer's filters as they live in the URL (`?keyId=…&status=…`) and as the logs API
 * takes them. Times are `datetime-local` values in the viewer's zone in the URL and the form, and
 * ISO instants for the API.
 */
import type { QueryLogsQuery } from "@datahub/client";

/** Form and URL values; "" means "no filter". */
export interface LogFilters {
  keyId: string;
  status: string;
  method: string;
  path: string;
  from: string;
  to: string;
}

const NAMES = ["keyId", "status", "method", "path", "from", "to"] as const;

/** Filters from a query string (without `?`); unknown parameters are ignored. */
export function filtersFromSearch(search: string): LogFilters {
  const p = new URLSearchParams(search);
  const f = {} as LogFilters;
  for (const n of NAMES) f[n] = p.get(n) ?? "";
  return f;
}

/** The query string of the filters that are set, in a stable order. */
export function searchFromFilters(f: LogFilters): string {
  const p = new URLSearchParams();
  for (const n of NAMES) if (f[n].trim()) p.set(n, f[n].trim());
  return p.toString();
}

/** The logs API's query for the filters; values the API would refuse are passed on for it to explain. */
export function queryFromFilters(f: LogFilters): QueryLogsQuery {
  const q: QueryLogsQuery = {};
  if (f.keyId.trim()) q.keyId = f.keyId.trim();
  if (f.status.trim()) q.status = Number(f.status.trim());
  if (f.method) q.method = f.method;
  if (f.path.trim()) q.path = f.path.trim();
  const instant = (v: string) => {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? v : d.toISOString();
  };
  if (f.from) q.from = instant(f.from);
  if (f.to) q.to = instant(f.to);
  return q;
}
