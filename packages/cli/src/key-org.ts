import { DataHubError, type DataHubClient, type OrgScope } from "@datahub/client";
import { isRootKey, type ApiOptions } from "./api";

const notFound = (e: unknown) => e instanceof DataHubError && e.status === 404;

/**
 * The `orgId` to act on key `id` with. `--org` wins. A root key acts in its own org unless told
 * otherwise, so for a root key without `--org` the key is looked for in every org: commands take a
 * key id alone. Not found anywhere: no orgId, and the command's own call answers 404.
 */
export async function orgOfKey(client: DataHubClient, opts: ApiOptions & { org?: string }, id: string): Promise<OrgScope> {
  if (opts.org) return { orgId: opts.org };
  if (!isRootKey(opts)) return {};
  const found = async (scope: OrgScope) => client.keys.get(id, scope).then(() => true, (e: unknown) => (notFound(e) ? false : Promise.reject(e)));
  if (await found({})) return {};
  for (const org of (await client.orgs.list()).data) if (await found({ orgId: org.id })) return { orgId: org.id };
  return {};
}
