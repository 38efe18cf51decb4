/**
 * Verification of API-key credentials presented to the internal gRPC port (caller-auth.ts). It
 * is the edge's mechanism, not a second one: the same {@link KeyCache} (TTL, negative entries,
 * stale-while-auth-is-down) fed by auth's VerifyKey and emptied by the same pushed invalidations,
 * so a revoked key stops working here within a second as it does at the edge.
 *
 * Started on first use: most processes never see an API-key credential (DataHub's own calls
 * present the internal token), and those should not hold a Redis subscription for nothing.
 */
import type { auth } from "@datahub/proto";
import type { Config } from "../config";
import type { Logger } from "../logger";
import { KeyCache, type AuthResult } from "./key-cache";
import { subscribeInvalidations, type InvalidationSubscriber } from "./invalidation";

/** Options for {@link LazyKeyVerifier}. */
export interface LazyKeyVerifierOptions {
  config: Config;
  logger: Logger;
  /** Makes the client of auth's VerifyKey (with this process's internal credentials). */
  authClient: () => { verifyKey(req: { key: string }): Promise<auth.VerifyKeyResponse>; close(): void };
}

/** A key cache started on first use; `close()` releases its client and subscription. */
export class LazyKeyVerifier {
  private cache: KeyCache | undefined;
  private subscriber: InvalidationSubscriber | undefined;
  private client: { close(): void } | undefined;

  constructor(private readonly opts: LazyKeyVerifierOptions) {}

  /** Authenticates a well-formed key (see KeyCache.lookup). */
  readonly verify = (key: string): AuthResult | Promise<AuthResult> => (this.cache ?? this.start()).lookup(key);

  private start(): KeyCache {
    const { config, logger } = this.opts;
    const client = this.opts.authClient();
    this.client = client;
    const cache = new KeyCache({
      verify: (key) => client.verifyKey({ key }),
      ttlMs: config.authCache.ttlMs,
      negativeTtlMs: config.authCache.negativeTtlMs,
      staleTtlMs: config.authCache.staleTtlMs,
      size: config.authCache.size,
    });
    this.subscriber = subscribeInvalidations(config, cache, logger, "grpc-caller-invalidation");
    this.cache = cache;
    return cache;
  }

  async close(): Promise<void> {
    this.client?.close();
    await this.subscriber?.close();
  }
}
