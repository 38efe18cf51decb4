/**
 * "Every request logged": after the load, compare the rows audit stored for the bench key with
 * the requests the edge says it answered on the bench route, and with what the load tool counted.
 */
import pg from "pg";

/** Outcome of {@link checkEveryRequestLogged}. */
export interface AuditCheck {
  /** Rows in audit.request_logs for the bench key. */
  auditRows: number;
  /** Sum of datahub_http_requests_total{route=<route>} on the edge's /metrics. */
  edgeAnswered: number;
  /** The same, for statuses outside 2xx. */
  edgeNon2xx: number;
  /** The edge's count per status code on the route. */
  edgeByStatus: Record<string, number>;
  /** Responses the load tool counted (warm-up included). */
  loadCounted: number;
  pass: boolean;
}

/**
 * Sums the samples of counter `name` whose `route` label equals `route` in Prometheus text format;
 * also returns the part with a non-2xx `status` label.
 */
export function sumRouteCounter(metricsText: string, name: string, route: string): { total: number; non2xx: number; byStatus: Record<string, number> } {
  let total = 0;
  let non2xx = 0;
  const byStatus: Record<string, number> = {};
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = /^[^{]+\{(.*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (labels.route !== route) continue;
    const v = Number(m[2]);
    total += v;
    const status = labels.status ?? "";
    byStatus[status] = (byStatus[status] ?? 0) + v;
    if (!/^2\d\d$/.test(labels.status ?? "")) non2xx += v;
  }
  return { total, non2xx, byStatus };
}

async function countAuditRows(databaseUrl: string, keyId: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>("SELECT count(*) AS n FROM audit.request_logs WHERE key_id = $1", [keyId]);
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

/**
 * Polls the edge's count and the audit table's rows for `keyId` until they agree and hold still
 * for 0.5 s, or the rows stop growing for `settleMs` (bounded by `timeoutMs`): audit flushes in batches.
 */
export async function checkEveryRequestLogged(opts: {
  databaseUrl: string;
  keyId: string;
  metricsUrl: string;
  route: string;
  loadCounted: number;
  timeoutMs?: number;
  settleMs?: number;
}): Promise<AuditCheck> {
  const until = Date.now() + (opts.timeoutMs ?? 30_000);
  const settleMs = opts.settleMs ?? 3000;
  let auditRows = -1;
  let edge = { total: 0, non2xx: 0, byStatus: {} as Record<string, number> };
  let changedAt = Date.now();
  for (;;) {
    // The edge counts a request when it answers; requests cut off by the load tool's stop (499)
    // may be counted a moment later, so both sides are re-read until they agree or settle.
    const res = await fetch(opts.metricsUrl, { signal: AbortSignal.timeout(5000) });
    edge = sumRouteCounter(await res.text(), "datahub_http_requests_total", opts.route);
    const n = await countAuditRows(opts.databaseUrl, opts.keyId);
    if (n !== auditRows) changedAt = Date.now();
    auditRows = n;
    if (auditRows === edge.total && edge.total > 0 && Date.now() - changedAt > 500) break;
    if (Date.now() - changedAt > settleMs || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const { total: edgeAnswered, non2xx: edgeNon2xx, byStatus: edgeByStatus } = edge;
  const pass = edgeAnswered > 0 && auditRows >= edgeAnswered && auditRows >= opts.loadCounted;
  return { auditRows, edgeAnswered, edgeNon2xx, edgeByStatus, loadCounted: opts.loadCounted, pass };
}
