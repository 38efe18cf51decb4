/** Create or edit a webhook endpoint: URL, event patterns, description, delivery rate. */
import { useState } from "preact/hooks";
import { DataHubError, type WebhookEndpoint } from "@datahub/client";
import { ErrorMessage } from "./ErrorMessage";
import { Field, fieldError } from "./Field";

/** What the form produces. */
export interface WebhookInput {
  url: string;
  events: string[];
  description: string;
  rateLimitPerSecond?: number | null;
}

/** The form; `onSubmit` rejects with the API's error, shown next to the fields. */
export function WebhookForm(props: { initial?: WebhookEndpoint; submitLabel: string; onSubmit: (input: WebhookInput) => Promise<void>; onCancel: () => void }) {
  const w = props.initial;
  const [url, setUrl] = useState(w?.url ?? "https://");
  const [events, setEvents] = useState((w?.events ?? ["*"]).join(" "));
  const [description, setDescription] = useState(w?.description ?? "");
  const [rate, setRate] = useState(w?.rateLimitPerSecond ? String(w.rateLimitPerSecond) : "");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.onSubmit({ url: url.trim(), events: events.split(/[\s,]+/).filter(Boolean), description, rateLimitPerSecond: rate.trim() ? Number(rate) : w ? null : undefined });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const errors = error instanceof DataHubError ? error.errors : undefined;
  return (
    <form class="dialog-body" onSubmit={submit} noValidate>
      <Field id="wh-url" label="URL" type="url" value={url} onInput={setUrl} required error={fieldError(errors, "url")} hint="HTTPS is recommended; private and loopback addresses are refused unless allowed by the operator." />
      <Field id="wh-events" label="Events" value={events} onInput={setEvents} error={fieldError(errors, "events")} hint="Separated by spaces: * for every event, an exact type (order.created), or a prefix (order.*)." />
      <Field id="wh-description" label="Description" value={description} onInput={setDescription} error={fieldError(errors, "description")} />
      <Field id="wh-rate" label="Deliveries per second (optional)" type="number" value={rate} onInput={setRate} error={fieldError(errors, "rateLimitPerSecond")} />
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" onClick={props.onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={busy}>{props.submitLabel}</button>
      </div>
    </form>
  );
}
