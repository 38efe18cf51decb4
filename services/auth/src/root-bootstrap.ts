import { apiKeyPrefix, generateApiKey, hashApiKey, newId, type Logger } from "@datahub/runtime";
import type { InvalidationPublisher } from "./invalidation";
import type { KeyStore } from "./store/key-store";
import type { StoredKey } from "./types";

/** Options of {@link bootstrapRootKey}. */
export interface RootBootstrapOptions {
  store: KeyStore;
  publisher: InvalidationPublisher;
  logger: Logger;
  /** DATAHUB_ROOT_KEY (already validated as a `dhr_` key). */
  rootKey?: string;
  /** Where a generated key is shown; the real process writes to stdout, never to the logger. */
  print?: (text: string) => void;
  now?: () => number;
}

/** What {@link bootstrapRootKey} did. */
export type RootBootstrapOutcome = "existing" | "from-env" | "generated";

/** The framed message that shows a generated root key once. */
export function rootKeyBanner(key: string): string {
  const rule = "=".repeat(72);
  return [
    "",
    rule,
    "  DataHub generated a root key. It is shown ONCE and is not stored anywhere:",
    "",
    `    ${key}`,
    "",
    "  Keep it in a secret store. Use it as `Authorization: Bearer <key>`;",
    "  set DATAHUB_ROOT_KEY to choose your own root key on a fresh database.",
    rule,
    "",
    "",
  ].join("\n");
}

/**
 * Makes sure the `root` org exists and has an active root key. With DATAHUB_ROOT_KEY set, that key
 * becomes the root key; otherwise a `dhr_` key is generated and printed once. Replicas starting
 * together race through the one-active-root unique index: only the one whose insert lands prints.
 */
export async function bootstrapRootKey(opts: RootBootstrapOptions): Promise<RootBootstrapOutcome> {
  const now = opts.now ?? Date.now;
  const print = opts.print ?? ((text: string) => void process.stdout.write(text));
  const org = await opts.store.ensureRootOrg({ id: newId(), name: "root", createdAt: new Date(now()) });

  const existing = await opts.store.findActiveRootKey();
  if (existing) {
    if (opts.rootKey && hashApiKey(opts.rootKey) !== existing.keyHash) {
      opts.logger.info({ rootKeyId: existing.id }, "DATAHUB_ROOT_KEY ignored: a root key already exists (revoke it to replace it)");
    }
    return "existing";
  }

  const candidates: Array<{ key: string; fromEnv: boolean }> = [];
  if (opts.rootKey) candidates.push({ key: opts.rootKey, fromEnv: true });
  candidates.push({ key: generateApiKey("dhr"), fromEnv: false });

  for (const { key, fromEnv } of candidates) {
    const record: StoredKey = {
      id: newId(),
      orgId: org.id,
      name: "root",
      prefix: apiKeyPrefix(key),
      keyHash: hashApiKey(key),
      scopes: ["*"],
      metadata: {},
      expiresAt: null,
      rateLimit: null,
      root: true,
      createdAt: new Date(now()),
      lastUsedAt: null,
      revokedAt: null,
      supersededBy: null,
    };
    if (await opts.store.insertRootKeyIfAbsent(record)) {
      await opts.publisher.publish(record.keyHash);
      if (fromEnv) {
        opts.logger.info({ rootKeyId: record.id, prefix: record.prefix }, "root key installed from DATAHUB_ROOT_KEY");
        return "from-env";
      }
      print(rootKeyBanner(key));
      opts.logger.info({ rootKeyId: record.id, prefix: record.prefix }, "root key generated and printed to stdout once");
      return "generated";
    }
    // Another replica won the race: its key stands.
    if (await opts.store.findActiveRootKey()) return "existing";
    // Only left: DATAHUB_ROOT_KEY was used before and revoked since; it must not come back.
    if (fromEnv) opts.logger.warn("DATAHUB_ROOT_KEY was revoked earlier and cannot be reused; generating a new root key");
  }
  throw new Error("could not install a root key");
}
