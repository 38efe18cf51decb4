/** Orgs (root key only): every org, and a form to create one. */
import { useState } from "preact/hooks";
import { DataHubError } from "@datahub/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { Field, fieldError } from "../components/Field";
import { when } from "../format";
import { useLoad, useTitle } from "../hooks";
import { useSession } from "../session";

/** The orgs page. */
export function Orgs() {
  useTitle("Orgs");
  const { session, client } = useSession();
  const orgs = useLoad(() => client.orgs.list(), []);
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState("");
  if (!session.key.root) return <><h1>Orgs</h1><p>Only a root key can manage orgs.</p></>;
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const org = await client.orgs.create({ name: name.trim() });
      setCreated(`Org ${org.name} created.`);
      setName("");
      orgs.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h1>Orgs</h1>
      <form class="toolbar" onSubmit={create}>
        <Field id="org-name" label="New org name" value={name} onInput={setName} required error={fieldError(error instanceof DataHubError ? error.errors : undefined, "name")} />
        <button type="submit" class="primary">Create org</button>
      </form>
      <p role="status" class="muted">{created}</p>
      <ErrorMessage error={error} />
      <ErrorMessage error={orgs.error} context="Orgs could not be listed" />
      {orgs.data && (
        <table>
          <caption class="sr-only">Orgs</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {orgs.data.data.map((o) => (
              <tr key={o.id}>
                <th scope="row">{o.name}</th>
                <td><code>{o.id}</code></td>
                <td>{when(o.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
