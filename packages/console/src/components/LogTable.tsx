/** Request log rows, newest first; each opens the request's detail page. */
import { Link } from "wouter-preact";
import type { LogRecord } from "@datahub/client";
import { ms, when } from "../format";
import { Scroll } from "./Scroll";

/** A table of log records. */
export function LogTable(props: { records: LogRecord[]; caption: string }) {
  return (
    <Scroll label={props.caption}>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Status</th>
            <th scope="col">Method</th>
            <th scope="col">Path</th>
            <th scope="col">Duration</th>
            <th scope="col">Key</th>
          </tr>
        </thead>
        <tbody>
          {props.records.map((r) => (
            <tr key={`${r.requestId}-${r.timestamp}`}>
              <th scope="row">
                <Link href={`/logs/${encodeURIComponent(r.requestId)}`}>{when(r.timestamp)}</Link>
              </th>
              <td>
                <span class={`badge ${r.status >= 500 ? "bad" : r.status >= 400 ? "warn" : "ok"}`}>{r.status}</span>
              </td>
              <td>{r.method}</td>
              <td>
                <code>{r.path}</code>
              </td>
              <td>{ms(r.durationMs)}</td>
              <td>{r.keyId ? <code>{r.keyId.slice(0, 8)}…</code> : <span class="muted">none</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}
