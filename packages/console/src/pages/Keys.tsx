/**
 * Keys: search by name or id, page through with the API's cursor, create a key (its secret shown
 * once). Each row opens the key's own page.
 */
import { useState } from "preact/hooks";
import { Link, useSearch, useLocation } from "wouter-preact";
import { Dialog } from "../components/Dialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { KeyForm } from "../components/KeyForm";
import { OrgPicker } from "../components/OrgPicker";
import { SecretReveal } from "../components/SecretReveal";
import { rateLimit, when } from "../format";
import { usePages, useTitle } from "../hooks";
import { can } from "../scopes";
import { useSession } from "../session";
import { Scroll } from "../components/Scroll";

const PAGE = 25;

/** The keys page. */
export function Keys() {
  useTitle("Keys");
  const { session, client } = useSession();
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const orgId = params.get("orgId") ?? session.key.orgId;
  const search = params.get("search") ?? "";
  const [typed, setTyped] = useState(search);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const list = usePages(
    (cursor) => client.keys.list({ limit: PAGE, cursor, ...(search ? { search } : {}), ...(orgId !== session.key.orgId ? { orgId } : {}) }).first(),
    [search, orgId],
  );
  const keys = list.items;

  const go = (next: { search?: string; orgId?: string }) => {
    const q = new URLSearchParams();
    const s = next.search ?? search;
    const o = next.orgId ?? orgId;
    if (s) q.set("search", s);
    if (o !== session.key.orgId) q.set("orgId", o);
    navigate(`/keys${q.size ? `?${q}` : ""}`);
  };

  return (
    <>
      <div class="row">
        <h1>Keys</h1>
        {can(session, "keys:write") && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create key
          </button>
        )}
      </div>
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ search: typed.trim() });
        }}
      >
        <OrgPicker orgId={orgId} onChange={(o) => go({ orgId: o })} />
        <div class="field inline-field">
          <label for="key-search">Search</label>
          <input id="key-search" type="search" value={typed} placeholder="Name or key id" onInput={(e) => setTyped(e.currentTarget.value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      <ErrorMessage error={list.error} context="Keys could not be listed" />
      <Scroll label="API keys">
        <table>
          <caption class="sr-only">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Scopes</th>
              <th scope="col">Rate limit</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <th scope="row">
                  <Link href={`/keys/${k.id}${orgId !== session.key.orgId ? `?orgId=${orgId}` : ""}`}>{k.name}</Link>
                </th>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.scopes.length ? k.scopes.join(", ") : <span class="muted">none</span>}</td>
                <td>{rateLimit(k.rateLimit)}</td>
                <td>{when(k.expiresAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      <p role="status" class="muted">
        {list.loading ? "Loading…" : keys.length === 0 ? (search ? `No key matches “${search}”.` : "No keys yet.") : `${keys.length} key${keys.length === 1 ? "" : "s"} shown.`}
      </p>
      {list.more && (
        <button type="button" disabled={list.loading} onClick={list.loadMore}>
          Load more
        </button>
      )}
      {creating && (
        <Dialog title="Create key" onClose={() => setCreating(false)} wide>
          <KeyForm
            submitLabel="Create"
            onCancel={() => setCreating(false)}
            onSubmit={async (input) => {
              const created = await client.keys.create({ name: input.name ?? "", scopes: input.scopes ?? [], metadata: input.metadata, rateLimit: input.rateLimit ?? undefined, expiresAt: input.expiresAt ?? undefined, ...(orgId !== session.key.orgId ? { orgId } : {}) });
              setCreating(false);
              setSecret(created.key);
              list.reload();
            }}
          />
        </Dialog>
      )}
      {secret && <SecretReveal title="Your new API key" label="New API key secret" secret={secret} onDone={() => setSecret(undefined)} />}
    </>
  );
}
