/**
 * Pushed key invalidation (a revocation takes effect on every edge within 1 s).
 * Auth publishes the SHA-256 of a changed key (or `*`) on the invalidation channel; each key
 * cache (every edge, and every gRPC port that has verified an API-key credential) listens on a dedicated Redis connection and drops the cached entry. On every (re)connect the
 * whole cache is flushed, because messages published while disconnected are lost.
 */
import { authInvalidationChannel } from "../channels";
import type { Config } from "../config";
import type { Logger } from "../logger";
import { createRedis, type RedisClient } from "../redis";

/** What the subscriber acts on: the key cache. */
export interface InvalidationTarget {
  invalidate(hash: string): void;
  clear(): void;
  setPushHealthy(healthy: boolean): void;
}

const HASH_RE = /^[0-9a-f]{64}$/;

/** Applies one invalidation message to the cache; ignores anything that is not a hash or `*`. */
export function applyInvalidation(target: InvalidationTarget, message: string): void {
  if (message === "*") target.clear();
  else if (HASH_RE.test(message)) target.invalidate(message);
}

/** A running subscription; `close()` disconnects it. */
export interface InvalidationSubscriber {
  readonly client: RedisClient;
  close(): Promise<void>;
}

/** Subscribes `target` to the auth invalidation channel of `config.redis.prefix`. */
export function subscribeInvalidations(config: Config, target: InvalidationTarget, logger: Logger, name = "edge-auth-invalidation"): InvalidationSubscriber {
  const channel = authInvalidationChannel(config.redis.prefix);
  const client = createRedis(
    {
      urls: config.redis.shared,
      cluster: config.redis.cluster,
      name,
      // Subscribing is re-done on every `ready` below (with a flush), so no auto-resubscribe and
      // no offline queue: a SUBSCRIBE queued while down would be replayed twice.
      options: { autoResubscribe: false, enableOfflineQueue: false, maxRetriesPerRequest: null },
    },
    logger,
  );
  client.on("ready", () => {
    client.subscribe(channel).then(
      () => {
        target.clear();
        target.setPushHealthy(true);
        logger.debug({ channel }, "auth invalidation channel subscribed");
      },
      (err: Error) => logger.warn({ err: { message: err.message } }, "auth invalidation subscribe failed"),
    );
  });
  const down = () => target.setPushHealthy(false);
  client.on("close", down);
  client.on("end", down);
  client.on("message", (ch: string, message: string) => {
    if (ch === channel) applyInvalidation(target, message);
  });
  return {
    client,
    async close() {
      down();
      client.disconnect();
    },
  };
}
