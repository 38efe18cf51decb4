import { Counter, counter, type Logger, type RedisClient, type Registry, withTimeout } from "@datahub/runtime";

/**
 * Tells every edge that a key changed, so it drops its cached verification (docs/reference/api-keys.md, "How fast changes take effect": within
 * 1 s). The message is the key's SHA-256 hex, never the key.
 */
export interface InvalidationPublisher {
  /** Best effort: never throws; a failure is logged and counted. */
  publish(keyHash: string): Promise<void>;
}

/** Publishes nothing; for unit tests and tools that run without Redis. */
export class NoopInvalidationPublisher implements InvalidationPublisher {
  readonly published: string[] = [];
  async publish(keyHash: string): Promise<void> {
    this.published.push(keyHash);
  }
}

/** Counter of invalidation publishes by outcome (`published` | `failed`). */
export function invalidationCounter(registry: Registry): Counter<"outcome"> {
  return counter(registry, {
    name: "datahub_auth_invalidations_total",
    help: "Key invalidation messages auth tried to publish to the edges, by outcome.",
    labelNames: ["outcome"] as const,
  });
}

/**
 * Publishes on the Redis channel `authInvalidationChannel(prefix)`. The key change has already
 * committed when this runs; if Redis is down the change stands, edges catch up when their cache
 * entries expire (DATAHUB_AUTH_CACHE_TTL_MS), and we log a warning and count the failure.
 */
export class RedisInvalidationPublisher implements InvalidationPublisher {
  constructor(
    private readonly redis: RedisClient,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly counter: Counter<"outcome">,
    /** Upper bound on how long a change waits for Redis before the reply goes out. */
    private readonly timeoutMs = 1000,
  ) {}

  async publish(keyHash: string): Promise<void> {
    try {
      await withTimeout(this.redis.publish(this.channel, keyHash), this.timeoutMs);
      this.counter.inc({ outcome: "published" });
    } catch (err) {
      this.counter.inc({ outcome: "failed" });
      this.logger.warn(
        { keyHash, channel: this.channel, err: { message: (err as Error).message } },
        "could not publish key invalidation; edges keep cached entries until their TTL",
      );
    }
  }
}
