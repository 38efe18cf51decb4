import { withTimeout, type RedisClient } from "@datahub/runtime";
import { ALGORITHMS, type NormalizedDescriptor } from "./algorithms";
import { buildGroupScript } from "./algorithms/group-script";
import { RateLimitUnavailableError, type RateLimiter } from "./limiter";
import type { DecisionOutput, DescriptorInput } from "./types";
import { validateGroups } from "./validation";

/** Options for {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** From runtime `createRedis` (auto-pipelining on): concurrent groups share one round trip. */
  client: RedisClient;
  /** `config.redis.prefix`; keys are `${prefix}:rl:${descriptor.key}`. */
  prefix: string;
  /** `config.ratelimit.maxLogLimit`. */
  maxLogLimit: number;
  /**
   * Deadline of one `check` in ms. ioredis's `commandTimeout` already bounds each command, but a
   * Cluster client queues commands without a timer while it has no topology; this bounds that too.
   */
  timeoutMs: number;
  /** Called once per failed store call (for the `datahub_ratelimit_redis_errors_total` counter). */
  onError?: (err: Error) => void;
}

const COMMAND = "datahubRateLimitGroup";
type GroupCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;

/**
 * The shared, exact rate limiter: one Lua script per group (group.lua + the algorithms' fragments),
 * registered with `defineCommand` so it runs as EVALSHA, falling back to EVAL on NOSCRIPT.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly run: GroupCommand;

  constructor(private readonly opts: RedisRateLimiterOptions) {
    const client = opts.client as RedisClient & Record<string, GroupCommand | undefined>;
    if (!client[COMMAND]) client.defineCommand(COMMAND, { lua: buildGroupScript([...ALGORITHMS.values()]) });
    this.run = client[COMMAND]!.bind(client);
  }

  async check(groups: DescriptorInput[][]): Promise<DecisionOutput[][]> {
    const valid = validateGroups(groups, { prefix: this.opts.prefix, maxLogLimit: this.opts.maxLogLimit });
    // Every group is sent in the same tick, so auto-pipelining writes them to Redis together.
    const calls = valid.map((g) => this.runGroup(g));
    let settled: Array<PromiseSettledResult<DecisionOutput[]>>;
    try {
      settled = await withTimeout(Promise.allSettled(calls), this.opts.timeoutMs);
    } catch (err) {
      this.opts.onError?.(err as Error);
      throw new RateLimitUnavailableError(`rate limit store did not answer within ${this.opts.timeoutMs} ms`);
    }
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed.length > 0) {
      for (const f of failed) this.opts.onError?.(f.reason as Error);
      throw new RateLimitUnavailableError(`rate limit store unavailable: ${(failed[0]!.reason as Error).message}`);
    }
    return settled.map((s) => (s as PromiseFulfilledResult<DecisionOutput[]>).value);
  }

  /** The client belongs to the caller (the module quits it). */
  async close(): Promise<void> {}

  private async runGroup(group: NormalizedDescriptor[]): Promise<DecisionOutput[]> {
    const args: Array<string | number> = group.map((d) => d.storageKey);
    for (const d of group) args.push(d.algorithm, d.limit, d.windowMs, d.cost);
    const flat = await this.run(group.length, ...args);
    return group.map((_, i) => {
      const b = i * 5;
      return {
        allowed: flat[b] === 1,
        limit: flat[b + 1]!,
        remaining: flat[b + 2]!,
        resetAfterMs: flat[b + 3]!,
        retryAfterMs: flat[b + 4]!,
      };
    });
  }
}
