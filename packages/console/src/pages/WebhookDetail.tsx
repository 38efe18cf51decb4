/**
 * One webhook endpoint: edit, pause / resume, rotate its secret, send a test event, delete; its
 * deliveries, each with its attempts, and retry of a failed one.
 */
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { useLocation, useParams } from "wouter-preact";
import type { WebhookDelivery } from "@datahub/client";
import { Confirm, Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { SecretReveal } from "../components/SecretReveal";
import { WebhookForm } from "../components/WebhookForm";
import { ms, when } from "../format";
import { useLoad, useTitle } from "../hooks";
import { can } from "../scopes";
import { useSession } from "../session";
import { Scroll } from "../components/Scroll";

function Attempts(props: { endpointId: string; delivery: WebhookDelivery }) {
  const { client } = useSession();
  const attempts = useLoad(() => client.webhooks.attempts(props.endpointId, props.delivery.id), [props.delivery.id, props.delivery.attempts]);
  return (
    <div class="attempts">
      <ErrorMessage error={attempts.error} context="Attempts could not be read" />
      {attempts.data && attempts.data.data.length === 0 && <p class="muted">No attempt yet.</p>}
      {attempts.data && attempts.data.data.length > 0 && (
        <table>
          <caption class="sr-only">Attempts of delivery {props.delivery.id}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Started</th>
              <th scope="col">Status code</th>
              <th scope="col">Duration</th>
              <th scope="col">Response</th>
            </tr>
          </thead>
          <tbody>
            {attempts.data.data.map((a) => (
              <tr key={a.number}>
                <th scope="row">{a.number}</th>
                <td>{when(a.startedAt)}</td>
                <td>{a.statusCode ?? <span class="muted">no answer</span>}</td>
                <td>{ms(a.durationMs)}</td>
                <td>{a.error ? <span class="field-error">{a.error}</span> : <code class="excerpt">{a.responseExcerpt ?? ""}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Deliveries(props: { endpointId: string; writable: boolean; version: number }) {
  const { client } = useSession();
  const deliveries = useLoad(() => client.webhooks.deliveries(props.endpointId, { limit: 50 }).first(), [props.endpointId, props.version]);
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const retry = async (d: WebhookDelivery) => {
    setError(undefined);
    try {
      await client.webhooks.retry(props.endpointId, d.id);
      setNotice(`Delivery ${d.id.slice(0, 8)}… is scheduled again.`);
      deliveries.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="deliveries-h">
      <div class="row">
        <h2 id="deliveries-h">Deliveries</h2>
        <button type="button" onClick={deliveries.reload} disabled={deliveries.loading}>Refresh</button>
      </div>
      <p role="status" class="muted">{notice}</p>
      <ErrorMessage error={error} context="Retry failed" />
      <ErrorMessage error={deliveries.error} context="Deliveries could not be read" />
      {deliveries.data && deliveries.data.data.length === 0 && <p class="muted">No deliveries yet.</p>}
      {deliveries.data && deliveries.data.data.length > 0 && (
        <Scroll label="Deliveries">
          <table>
            <caption class="sr-only">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last status code</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.data.map((d) => (
                <Fragment key={d.id}>
                  <tr>
                    <th scope="row">
                      {d.eventType} <code class="muted">{d.eventId.slice(0, 8)}…</code>
                    </th>
                    <td>
                      <span class={`badge ${d.status === "succeeded" ? "ok" : d.status === "failed" ? "bad" : "warn"}`}>{d.status}</span>
                    </td>
                    <td>{d.attempts}</td>
                    <td>{d.lastStatusCode ?? "—"}</td>
                    <td>{when(d.createdAt)}</td>
                    <td class="actions">
                      <button type="button" aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? undefined : d.id)}>
                        {open === d.id ? "Hide attempts" : "Attempts"}
                      </button>
                      {props.writable && d.status === "failed" && (
                        <button type="button" onClick={() => void retry(d)}>Retry</button>
                      )}
                    </td>
                  </tr>
                  {open === d.id && (
                    <tr>
                      <td colSpan={6}>
                        <Attempts endpointId={props.endpointId} delivery={d} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}

/** The endpoint page. */
export function WebhookDetail() {
  const { id } = useParams<{ id: string }>();
  const { session, client } = useSession();
  const [, navigate] = useLocation();
  const endpoint = useLoad(() => client.webhooks.get(id), [id]);
  useTitle(endpoint.data ? `Webhook ${endpoint.data.url}` : "Webhook");
  const [dialog, setDialog] = useState<"" | "edit" | "delete">("");
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(0);
  const writable = can(session, "webhooks:write");

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setNotice("");
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (endpoint.error) return <><h1>Webhook endpoint</h1><ErrorMessage error={endpoint.error} context="The endpoint could not be read" /></>;
  const w = endpoint.data;
  if (!w) return <p role="status">Loading…</p>;
  return (
    <>
      <h1>Webhook endpoint</h1>
      <p><code>{w.url}</code></p>
      {writable && (
        <div class="actions wrap">
          <button type="button" disabled={busy} onClick={() => void act(async () => {
            const sent = await client.webhooks.test(w.id);
            setNotice(`Test event ${sent.eventId.slice(0, 8)}… sent; its delivery appears below.`);
            setVersion((v) => v + 1);
          })}>
            Send test event
          </button>
          <button type="button" disabled={busy} onClick={() => void act(async () => {
            await client.webhooks.update(w.id, { status: w.status === "enabled" ? "disabled" : "enabled" });
            setNotice(w.status === "enabled" ? "Deliveries are paused." : "Deliveries are resumed.");
            endpoint.reload();
          })}>
            {w.status === "enabled" ? "Pause" : "Resume"}
          </button>
          <button type="button" onClick={() => setDialog("edit")}>Edit</button>
          <button type="button" disabled={busy} onClick={() => void act(async () => {
            const rotated = await client.webhooks.rotateSecret(w.id);
            setSecret(rotated.secret);
          })}>
            Rotate secret
          </button>
          <button type="button" class="danger" onClick={() => setDialog("delete")}>Delete</button>
        </div>
      )}
      <p role="status" class="muted">{notice}</p>
      <ErrorMessage error={error} />
      <dl class="details">
        <dt>Id</dt>
        <dd><code>{w.id}</code></dd>
        <dt>Status</dt>
        <dd>{w.status}{w.disabledReason ? ` (${w.disabledReason})` : ""}</dd>
        <dt>Events</dt>
        <dd>{w.events.join(", ")}</dd>
        <dt>Description</dt>
        <dd>{w.description || "—"}</dd>
        <dt>Deliveries per second</dt>
        <dd>{w.rateLimitPerSecond ?? "default"}</dd>
        <dt>Created</dt>
        <dd>{when(w.createdAt)}</dd>
      </dl>
      <Deliveries endpointId={w.id} writable={writable} version={version} />
      {dialog === "edit" && (
        <Dialog title="Edit webhook endpoint" onClose={() => setDialog("")} wide>
          <WebhookForm
            initial={w}
            submitLabel="Save"
            onCancel={() => setDialog("")}
            onSubmit={async (input) => {
              await client.webhooks.update(w.id, { url: input.url, events: input.events, description: input.description, rateLimitPerSecond: input.rateLimitPerSecond });
              setDialog("");
              endpoint.reload();
            }}
          />
        </Dialog>
      )}
      {dialog === "delete" && (
        <Confirm
          title="Delete this endpoint?"
          confirm="Delete endpoint"
          busy={busy}
          onCancel={() => setDialog("")}
          onConfirm={() => void act(async () => {
            await client.webhooks.delete(w.id);
            navigate("/webhooks");
          })}
        >
          <p>No more events are delivered to <code>{w.url}</code>, and its delivery history is no longer shown. This cannot be undone.</p>
        </Confirm>
      )}
      {secret && <SecretReveal title="The endpoint's new signing secret" label="New webhook signing secret" secret={secret} onDone={() => setSecret(undefined)} />}
    </>
  );
}
