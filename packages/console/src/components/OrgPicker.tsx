/** For a root key: which org a list shows and a create goes to (other keys act on their own org). */
import { useLoad } from "../hooks";
import { useSession } from "../session";

/** A select of every org; renders nothing for a non-root key. */
export function OrgPicker(props: { orgId: string; onChange: (orgId: string) => void }) {
  const { session, client } = useSession();
  const orgs = useLoad(() => (session.key.root ? client.orgs.list() : Promise.resolve({ data: [] })), [session.key.root]);
  if (!session.key.root) return null;
  return (
    <div class="field inline-field">
      <label for="org-picker">Org</label>
      <select id="org-picker" value={props.orgId} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {(orgs.data?.data ?? [{ id: props.orgId, name: props.orgId }]).map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}
