import { generateApiKey, Registry, type Config, type Logger } from "@datahub/runtime";
import { openAuthResources } from "./admin";
import { bootstrapRootKey } from "./root-bootstrap";

/** What {@link resetRootKey} did. */
export interface RootKeyReset {
  /** The new root key, shown to the operator once. */
  key: string;
  keyId: string;
  /** The root keys that worked until now and were revoked. */
  revokedKeyIds: string[];
}

/**
 * The way back from a LOST root key, straight against Postgres (the API needs a root key to
 * replace one): revokes every root key that still works (including an old one still in its
 * rotation grace period) and installs a new `dhr_` key. Running edges drop the revoked keys within
 * a second (the same invalidation as an API revoke). Needs a migrated database; never migrates.
 */
export async function resetRootKey(config: Config, logger: Logger): Promise<RootKeyReset> {
  const res = openAuthResources(config, logger, new Registry(), "datahub-cli");
  try {
    const { rows } = await res.pool
      .query<{ id: string; org_id: string }>(
        "SELECT id, org_id FROM auth.api_keys WHERE root AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
      )
      .catch((err: { code?: string }) => {
        if (err.code === "42P01" || err.code === "3F000") throw new Error("the auth schema does not exist in this database: run `datahub migrate` first");
        throw err;
      });
    for (const r of rows) await res.keys.revokeKey(r.org_id, r.id);
    const key = generateApiKey("dhr");
    // With a fresh key as the "configured" one, the bootstrap installs exactly it (and prints nothing).
    const outcome = await bootstrapRootKey({ store: res.store, publisher: res.publisher, logger, rootKey: key, print: () => {} });
    const installed = await res.store.findActiveRootKey();
    if (outcome !== "from-env" || !installed) throw new Error("another root key was installed meanwhile (is an auth service bootstrapping?); run the reset again");
    return { key, keyId: installed.id, revokedKeyIds: rows.map((r) => r.id) };
  } finally {
    await res.close();
  }
}
