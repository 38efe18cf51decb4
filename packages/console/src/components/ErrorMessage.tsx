/**
 * A failed call, readable: the problem's title and detail, its field errors, and the request id to
 * look it up in the logs. Announced to screen readers as it appears.
 */
import { DataHubError } from "@datahub/client";

/** The message for any thrown value (a DataHubError, or a bug's Error). */
export function describe(error: unknown): { title: string; detail: string; requestId?: string; fields: Array<{ path: string; message: string }> } {
  if (error instanceof DataHubError) {
    const detail = error.status === 0 ? "The gateway could not be reached; check your connection and retry." : error.detail;
    return { title: error.status === 403 ? "Not allowed" : error.title || "Request failed", detail, requestId: error.requestId, fields: error.errors };
  }
  return { title: "Something went wrong", detail: error instanceof Error ? error.message : String(error), fields: [] };
}

/** Renders `error` (nothing when there is none). */
export function ErrorMessage(props: { error: unknown; context?: string }) {
  if (props.error === undefined || props.error === null) return null;
  const d = describe(props.error);
  return (
    <div class="error" role="alert">
      <p>
        <strong>{props.context ? `${props.context}: ` : ""}{d.title}.</strong> {d.detail}
      </p>
      {d.fields.length > 0 && (
        <ul>
          {d.fields.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {d.requestId && <p class="muted">Request id: <code>{d.requestId}</code></p>}
    </div>
  );
}
