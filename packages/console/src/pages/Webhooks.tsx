/** Webhook endpoints: the list, and creating one (its signing secret shown once). */
import { useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { SecretReveal } from "../components/SecretReveal";
import { WebhookForm } from "../components/WebhookForm";
import { when } from "../format";
import { useLoad, useTitle } from "../hooks";
import { can } from "../scopes";
import { useSession } from "../session";
import { Scroll } from "../components/Scroll";

/** The webhooks page. */
export function Webhooks() {
  useTitle("Webhooks");
  const { session, client } = useSession();
  const endpoints = useLoad(() => client.webhooks.list({ limit: 100 }).first(), []);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  return (
    <>
      <div class="row">
        <h1>Webhooks</h1>
        {can(session, "webhooks:write") && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create endpoint
          </button>
        )}
      </div>
      <ErrorMessage error={endpoints.error} context="Endpoints could not be listed" />
      {endpoints.data && endpoints.data.data.length === 0 && <p>No endpoints yet. An endpoint receives the events you publish, signed with its secret.</p>}
      {endpoints.data && endpoints.data.data.length > 0 && (
        <Scroll label="Webhook endpoints">
          <table>
            <caption class="sr-only">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.data.data.map((w) => (
                <tr key={w.id}>
                  <th scope="row">
                    <Link href={`/webhooks/${w.id}`}>{w.url}</Link>
                  </th>
                  <td>{w.events.join(", ")}</td>
                  <td>
                    <span class={`badge ${w.status === "enabled" ? "ok" : "warn"}`}>{w.status === "enabled" ? "enabled" : `paused${w.disabledReason ? ` (${w.disabledReason})` : ""}`}</span>
                  </td>
                  <td>{w.description}</td>
                  <td>{when(w.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {creating && (
        <Dialog title="Create webhook endpoint" onClose={() => setCreating(false)} wide>
          <WebhookForm
            submitLabel="Create"
            onCancel={() => setCreating(false)}
            onSubmit={async (input) => {
              const created = await client.webhooks.create({ url: input.url, events: input.events, description: input.description, ...(input.rateLimitPerSecond ? { rateLimitPerSecond: input.rateLimitPerSecond } : {}) });
              setCreating(false);
              setSecret(created.secret);
              endpoints.reload();
            }}
          />
        </Dialog>
      )}
      {secret && <SecretReveal title="The endpoint's signing secret" label="New webhook signing secret" secret={secret} onDone={() => setSecret(undefined)} />}
    </>
  );
}
