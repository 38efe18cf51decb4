/**
 * Requests, errors, 429s and latency over a range, for the org or one key: four numbers and two
 * charts from `GET /v1/usage`.
 */
import { useMemo } from "preact/hooks";
import { count, ms } from "../format";
import { useLoad } from "../hooks";
import { useSession } from "../session";
import { ErrorMessage } from "./ErrorMessage";
import { TimeChart } from "./TimeChart";

const RANGES = { hour: { ms: 3_600_000, granularity: "minute" }, day: { ms: 86_400_000, granularity: "hour" }, week: { ms: 7 * 86_400_000, granularity: "hour" } } as const;
export type Range = keyof typeof RANGES;

/** The usage of the org (or of `keyId`) over `range`, with a range switch. */
export function UsagePanel(props: { range: Range; onRange: (r: Range) => void; keyId?: string }) {
  const { client } = useSession();
  const usage = useLoad(() => {
    const r = RANGES[props.range];
    const to = Date.now();
    return client.usage.get({ from: new Date(to - r.ms).toISOString(), to: new Date(to).toISOString(), granularity: r.granularity, ...(props.keyId ? { keyId: props.keyId } : {}) });
  }, [props.range, props.keyId]);
  const buckets = usage.data?.data ?? [];
  const totals = useMemo(
    () => ({
      requests: buckets.reduce((a, b) => a + b.requests, 0),
      errors: buckets.reduce((a, b) => a + b.errors, 0),
      limited: buckets.reduce((a, b) => a + b.rateLimited, 0),
      p95: Math.max(0, ...buckets.filter((b) => b.requests > 0).map((b) => b.p95Ms)),
    }),
    [buckets],
  );
  const times = useMemo(() => buckets.map((b) => b.bucket), [buckets]);
  const traffic = useMemo(
    () => [
      { label: "Requests", values: buckets.map((b) => b.requests), color: "#1f5fbf" },
      { label: "Errors", values: buckets.map((b) => b.errors), color: "#b3261e" },
      { label: "429s", values: buckets.map((b) => b.rateLimited), color: "#8a5a00" },
    ],
    [buckets],
  );
  const latency = useMemo(
    () => [
      { label: "p50", values: buckets.map((b) => b.p50Ms), color: "#2e7d32" },
      { label: "p95", values: buckets.map((b) => b.p95Ms), color: "#6a1b9a" },
    ],
    [buckets],
  );
  return (
    <section aria-labelledby="usage-h">
      <div class="row">
        <h2 id="usage-h">Traffic</h2>
        <div role="group" aria-label="Time range" class="segmented">
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <button key={r} type="button" aria-pressed={props.range === r} onClick={() => props.onRange(r)}>
              Last {r}
            </button>
          ))}
        </div>
      </div>
      <ErrorMessage error={usage.error} context="Usage could not be read" />
      <dl class="stats" aria-busy={usage.loading}>
        <div>
          <dt>Requests</dt>
          <dd>{count(totals.requests)}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>{count(totals.errors)}</dd>
        </div>
        <div>
          <dt>429s</dt>
          <dd>{count(totals.limited)}</dd>
        </div>
        <div>
          <dt>Peak p95 latency</dt>
          <dd>{buckets.some((b) => b.requests > 0) ? ms(totals.p95) : "—"}</dd>
        </div>
      </dl>
      {buckets.length > 0 && (
        <div class="grid2">
          <TimeChart title="Requests, errors and 429s" times={times} lines={traffic} />
          <TimeChart title="Latency" times={times} lines={latency} unit=" ms" />
        </div>
      )}
    </section>
  );
}
