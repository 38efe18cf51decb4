/**
 * One key: its details, edit / rotate / revoke, its usage chart and its latest requests.
 */
import { useState } from "preact/hooks";
import { Link, useLocation, useParams, useSearch } from "wouter-preact";
import { Confirm, Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { KeyForm } from "../components/KeyForm";
import { LogTable } from "../components/LogTable";
import { SecretReveal } from "../components/SecretReveal";
import { UsagePanel, type Range } from "../components/UsagePanel";
import { rateLimit, when } from "../format";
import { useLoad, useTitle } from "../hooks";
import { can } from "../scopes";
import { useSession } from "../session";

function LatestRequests(props: { keyId: string }) {
  const { client } = useSession();
  const logs = useLoad(() => client.logs.query({ keyId: props.keyId, limit: 20 }).first(), [props.keyId]);
  return (
    <section aria-labelledby="latest-h">
      <div class="row">
        <h2 id="latest-h">Latest requests</h2>
        <Link href={`/logs?keyId=${props.keyId}`}>All requests of this key</Link>
      </div>
      <ErrorMessage error={logs.error} context="Requests could not be read" />
      {logs.data && (logs.data.data.length ? <LogTable records={logs.data.data} caption="Latest requests of this key" /> : <p class="muted">No requests with this key yet.</p>)}
      <button type="button" onClick={logs.reload} disabled={logs.loading}>
        Refresh
      </button>
    </section>
  );
}

/** The key page. */
export function KeyDetail() {
  const { id } = useParams<{ id: string }>();
  const orgId = new URLSearchParams(useSearch()).get("orgId") ?? undefined;
  const scope = orgId ? { orgId } : undefined;
  const { session, client } = useSession();
  const [, navigate] = useLocation();
  const key = useLoad(() => client.keys.get(id, scope), [id, orgId]);
  useTitle(key.data ? `Key ${key.data.name}` : "Key");
  const [dialog, setDialog] = useState<"" | "edit" | "rotate" | "revoke">("");
  const [grace, setGrace] = useState("3600");
  const [secret, setSecret] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [range, setRange] = useState<Range>("day");
  const writable = can(session, "keys:write");

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await fn();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  if (key.error) return <><h1>Key</h1><ErrorMessage error={key.error} context="The key could not be read" /></>;
  const k = key.data;
  if (!k) return <p role="status">Loading…</p>;
  return (
    <>
      <div class="row">
        <h1>Key {k.name}</h1>
        {writable && (
          <div class="actions">
            <button type="button" onClick={() => setDialog("edit")}>Edit</button>
            <button type="button" onClick={() => setDialog("rotate")}>Rotate</button>
            <button type="button" class="danger" onClick={() => setDialog("revoke")}>Revoke</button>
          </div>
        )}
      </div>
      <ErrorMessage error={actionError} />
      <dl class="details">
        <dt>Id</dt>
        <dd><code>{k.id}</code></dd>
        <dt>Prefix</dt>
        <dd><code>{k.prefix}…</code></dd>
        <dt>Org</dt>
        <dd><code>{k.orgId}</code></dd>
        <dt>Scopes</dt>
        <dd>{k.scopes.length ? k.scopes.join(", ") : "none"}</dd>
        <dt>Rate limit</dt>
        <dd>{rateLimit(k.rateLimit)}</dd>
        <dt>Expires</dt>
        <dd>{when(k.expiresAt)}</dd>
        <dt>Created</dt>
        <dd>{when(k.createdAt)}</dd>
        <dt>Last used</dt>
        <dd>{when(k.lastUsedAt)}</dd>
        <dt>Metadata</dt>
        <dd><pre>{JSON.stringify(k.metadata, null, 2)}</pre></dd>
      </dl>
      {can(session, "logs:read") && (
        <>
          <UsagePanel range={range} onRange={setRange} keyId={k.id} />
          <LatestRequests keyId={k.id} />
        </>
      )}
      {dialog === "edit" && (
        <Dialog title={`Edit key ${k.name}`} onClose={() => setDialog("")} wide>
          <KeyForm
            initial={k}
            submitLabel="Save"
            onCancel={() => setDialog("")}
            onSubmit={async (input) => {
              await client.keys.update(k.id, input, scope);
              setDialog("");
              key.reload();
            }}
          />
        </Dialog>
      )}
      {dialog === "rotate" && (
        <Dialog title={`Rotate key ${k.name}`} onClose={() => setDialog("")}>
          <form
            class="dialog-body"
            onSubmit={(e) => {
              e.preventDefault();
              void act(async () => {
                const rotated = await client.keys.rotate(k.id, { gracePeriodSeconds: Number(grace) }, scope);
                setDialog("");
                setSecret(rotated.key);
                navigate(`/keys/${rotated.id}${orgId ? `?orgId=${orgId}` : ""}`);
              });
            }}
          >
            <p>A new secret replaces this one. The old secret keeps working for the grace period, so clients can switch without downtime.</p>
            <Field id="rotate-grace" label="Grace period (seconds)" type="number" value={grace} onInput={setGrace} hint="0 ends the old secret now; at most 7 days (604800)." />
            <div class="actions">
              <button type="button" onClick={() => setDialog("")}>Cancel</button>
              <button type="submit" class="primary" disabled={busy}>Rotate</button>
            </div>
          </form>
        </Dialog>
      )}
      {dialog === "revoke" && (
        <Confirm
          title={`Revoke key ${k.name}?`}
          confirm="Revoke key"
          busy={busy}
          onCancel={() => setDialog("")}
          onConfirm={() =>
            void act(async () => {
              await client.keys.revoke(k.id, scope);
              setDialog("");
              navigate("/keys");
            })
          }
        >
          <p>Every request with this key is refused from now on, within about a second on every edge. This cannot be undone.</p>
        </Confirm>
      )}
      {secret && <SecretReveal title="The rotated key's new secret" label="New API key secret" secret={secret} onDone={() => setSecret(undefined)} />}
    </>
  );
}
