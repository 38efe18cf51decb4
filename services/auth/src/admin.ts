import { fileURLToPath } from "node:url";
import {
  authInvalidationChannel,
  createPgPool,
  createRedis,
  migrate,
  Registry,
  type Config,
  type Logger,
  type Pool,
  type RedisClient,
} from "@datahub/runtime";
import { invalidationCounter, RedisInvalidationPublisher, type InvalidationPublisher } from "./invalidation";
import { PgOutbox } from "./events/outbox";
import { KeyManager } from "./key-manager";
import { PgKeyStore } from "./store/pg-key-store";
import { ConsoleSessions } from "./sessions/console-sessions";
import { PgSessionStore } from "./sessions/pg-session-store";

/** The auth service's SQL migrations (node-pg-migrate SQL files). */
export const AUTH_MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

/** Applies pending auth migrations to schema `auth`; returns the names applied. */
export function migrateAuth(config: Config, logger: Logger): Promise<string[]> {
  return migrate({ databaseUrl: config.databaseDirectUrls.auth, schema: "auth", dir: AUTH_MIGRATIONS_DIR, logger });
}

/** What {@link openAuthResources} opens; the module and the CLI share it. */
export interface AuthResources {
  pool: Pool;
  redis: RedisClient;
  store: PgKeyStore;
  publisher: InvalidationPublisher;
  keys: KeyManager;
  /** Console sessions (table `auth.console_sessions`). */
  sessions: ConsoleSessions;
  /** The system-event outbox (written by `keys`, read by the module's relay). */
  outbox: PgOutbox;
  /** `onEvent` runs after a key change committed an event; the module points it at its relay. */
  hooks: { onEvent: () => void };
  close(): Promise<void>;
}

/** Opens the pool, the invalidation publisher and a KeyManager over them (migrations not included). */
export function openAuthResources(config: Config, logger: Logger, registry: Registry, applicationName: string): AuthResources {
  const pool = createPgPool(config.databaseUrls.auth, { applicationName, max: 10, statementTimeoutMs: 5_000 }, logger);
  const redis = createRedis({ urls: config.redis.shared, cluster: config.redis.cluster, name: `${applicationName}-invalidate`, commandTimeoutMs: 1_000 }, logger);
  const publisher = new RedisInvalidationPublisher(redis, authInvalidationChannel(config.redis.prefix), logger, invalidationCounter(registry));
  const store = new PgKeyStore(pool);
  const hooks = { onEvent: () => {} };
  const keys = new KeyManager({
    store,
    publisher,
    logger,
    rateLimitCaps: { maxLogLimit: config.ratelimit.maxLogLimit, defaultAlgorithm: config.ratelimit.defaultAlgorithm },
    onEvent: () => hooks.onEvent(),
  });
  let closed: Promise<void> | undefined;
  return {
    pool,
    redis,
    store,
    publisher,
    keys,
    sessions: new ConsoleSessions({ sessions: new PgSessionStore(pool), keys: store }),
    outbox: new PgOutbox(pool),
    hooks,
    close: () =>
      (closed ??= (async () => {
        await keys.flush();
        redis.disconnect();
        await pool.end();
      })()),
  };
}

/**
 * Key administration straight against Postgres, for the `datahub` CLI (`orgs create`,
 * `keys create|list|revoke`). Applies migrations first; changes publish invalidations like the
 * service does, so running edges drop their cached entries, and write their system events to the
 * outbox, which a running auth service relays.
 */
export async function openKeyAdmin(config: Config, logger: Logger): Promise<{ keys: KeyManager; close(): Promise<void> }> {
  await migrateAuth(config, logger);
  const res = openAuthResources(config, logger, new Registry(), "datahub-cli");
  return { keys: res.keys, close: res.close };
}
