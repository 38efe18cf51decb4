/** One request: where its time went (gateway vs upstream), route, key, client, trace id, error. */
import { Link, useParams } from "wouter-preact";
import { ErrorMessage } from "../components/ErrorMessage";
import { ms, when } from "../format";
import { useLoad, useTitle } from "../hooks";
import { useSession } from "../session";

/** The request page. */
export function LogDetail() {
  const { requestId } = useParams<{ requestId: string }>();
  useTitle(`Request ${requestId}`);
  const { client } = useSession();
  const rec = useLoad(() => client.logs.get(decodeURIComponent(requestId)), [requestId]);
  const r = rec.data;
  return (
    <>
      <h1>Request</h1>
      <p>
        <Link href="/logs">Back to the logs</Link>
      </p>
      <ErrorMessage error={rec.error} context="The request could not be read" />
      {!r && !rec.error && <p role="status">Loading…</p>}
      {r && (
        <>
          <section aria-labelledby="timing-h">
            <h2 id="timing-h">Timing</h2>
            <p>
              {ms(r.durationMs)} in all: <strong>{ms(r.gatewayMs)}</strong> in the gateway, <strong>{ms(Math.max(0, r.durationMs - r.gatewayMs))}</strong> waiting on the upstream.
            </p>
            <div class="bar" role="img" aria-label={`Gateway ${ms(r.gatewayMs)}, upstream ${ms(Math.max(0, r.durationMs - r.gatewayMs))}`}>
              <span class="gw" style={{ width: `${r.durationMs > 0 ? Math.min(100, (100 * r.gatewayMs) / r.durationMs) : 100}%` }} />
            </div>
          </section>
          <dl class="details">
            <dt>Request id</dt>
            <dd><code>{r.requestId}</code></dd>
            <dt>Time</dt>
            <dd>{when(r.timestamp)}</dd>
            <dt>Request</dt>
            <dd><code>{r.method} {r.path}</code></dd>
            <dt>Status</dt>
            <dd>{r.status}</dd>
            <dt>Route</dt>
            <dd>{r.route || "none"}</dd>
            <dt>Key</dt>
            <dd>{r.keyId ? <Link href={`/keys/${r.keyId}`}>{r.keyId}</Link> : "none"}</dd>
            <dt>Client</dt>
            <dd>{r.clientIp}{r.userAgent ? ` · ${r.userAgent}` : ""}</dd>
            <dt>Bytes in / out</dt>
            <dd>{r.bytesIn} / {r.bytesOut}</dd>
            <dt>Trace id</dt>
            <dd>{r.traceId ? <code>{r.traceId}</code> : "none (tracing off)"}</dd>
            <dt>Error</dt>
            <dd>{r.error ?? "none"}</dd>
          </dl>
        </>
      )}
    </>
  );
}
