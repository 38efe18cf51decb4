import calculateSlot from "cluster-key-slot";
import { withTimeout, type RedisClient } from "@datahub/runtime";
import { ALGORITHMS, type NormalizedDescriptor } from "./algorithms";
import { buildGroupScript } from "./algorithms/group-script";
import { RateLimitUnavailableError, type RateLimiter } from "./limiter";
import type { Algorithm, DecisionOutput, DescriptorInput } from "./types";
import { validateGroups } from "./validation";

/** Options for {@link RedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** From runtime `createRedis`. The script calls bypass its auto-pipelining (see the constructor). */
  client: RedisClient;
  /** `config.redis.prefix`; keys are `${prefix}:rl:${descriptor.key}`. */
  prefix: string;
  /** `config.ratelimit.maxLogLimit`. */
  maxLogLimit: number;
  /** What ALGORITHM_UNSPECIFIED means (`config.ratelimit.defaultAlgorithm`). Default sliding log. */
  defaultAlgorithm?: Algorithm;
  /**
   * Deadline of one `check` in ms. ioredis's `commandTimeout` already bounds each command, but a
   * Cluster client queues commands without a timer while it has no topology; this bounds that too.
   */
  timeoutMs: number;
  /** Called once per failed store call (for the `datahub_ratelimit_redis_errors_total` counter). */
  onError?: (err: Error) => void;
}

/**
 * Most groups one script call checks. A script blocks Redis while it runs; at ~20 commands per
 * group this keeps one call to a few milliseconds even for a 5,000-group batch.
 */
export const MAX_GROUPS_PER_SCRIPT = 256;

const COMMAND = "datahubRateLimitGroups";
type GroupsCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;

/**
 * The shared, exact rate limiter. One `check` runs its groups with as few Lua script calls as the
 * keyspace allows (group.lua + the algorithms' fragments): one per Redis Cluster slot (a script may
 * only touch one slot), one in all for a single Redis, at most {@link MAX_GROUPS_PER_SCRIPT} groups
 * each. Inside a call every group is still atomic and the groups run in order. Registered with
 * `defineCommand`, so it runs as EVALSHA, falling back to EVAL on NOSCRIPT.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly run: GroupsCommand;
  private readonly cluster: boolean;

  constructor(private readonly opts: RedisRateLimiterOptions) {
    const client = opts.client as RedisClient & Record<string, GroupsCommand | undefined>;
    if (!client[COMMAND]) client.defineCommand(COMMAND, { lua: buildGroupScript([...ALGORITHMS.values()]) });
    this.run = client[COMMAND]!.bind(client);
    this.cluster = opts.client.isCluster;
    // The script calls skip ioredis's auto-pipelining, on a single Redis and on a Cluster alike:
    // - a single Redis gets one call per check (up to MAX_GROUPS_PER_SCRIPT groups, more than the
    //   edge ever batches), so there is nothing to pipeline, and an auto-pipeline costs a Pipeline
    //   object per call: 123 against 150–186 µs of CPU per one-group check, 11 against 14–16 µs
    //   per group in batches of 26 (docs/architecture.md, "Measured choices");
    // - on a Cluster, auto-pipelining picks a pipeline by the first argument, which for a script
    //   with a variable key count is `numKeys`, not a key: every call of a batch would share one
    //   pipeline across slots and ioredis refuses it ("same slots allocation group"). Unpipelined,
    //   each call is routed by its first key.
    // Other commands on the same client keep auto-pipelining. The list is replaced, not pushed to:
    // ioredis shares one default array between every client that did not pass its own.
    const options = opts.client.options as { autoPipeliningIgnoredCommands?: string[] } | undefined;
    const ignored = options?.autoPipeliningIgnoredCommands;
    if (options !== undefined && ignored !== undefined && !ignored.includes(COMMAND)) options.autoPipeliningIgnoredCommands = [...ignored, COMMAND];
  }

  async check(groups: DescriptorInput[][]): Promise<DecisionOutput[][]> {
    const valid = validateGroups(groups, { prefix: this.opts.prefix, maxLogLimit: this.opts.maxLogLimit, defaultAlgorithm: this.opts.defaultAlgorithm });
    const out = new Array<DecisionOutput[]>(valid.length);
    // Every call is sent in the same tick: back to back on the connection, one round trip's wait.
    const calls = this.chunks(valid).map((idx) => this.runGroups(valid, idx, out));
    let settled: Array<PromiseSettledResult<void>>;
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
    return out;
  }

  /** The client belongs to the caller (the module quits it). */
  async close(): Promise<void> {}

  /** Group indexes per script call: by cluster slot (groups are single-slot, validated), in order, capped. */
  private chunks(groups: NormalizedDescriptor[][]): number[][] {
    const chunks: number[][] = [];
    if (!this.cluster) {
      for (let i = 0; i < groups.length; i += MAX_GROUPS_PER_SCRIPT) {
        chunks.push(Array.from({ length: Math.min(MAX_GROUPS_PER_SCRIPT, groups.length - i) }, (_, j) => i + j));
      }
      return chunks;
    }
    const open = new Map<number, number[]>();
    groups.forEach((g, i) => {
      const slot = calculateSlot(g[0]!.storageKey);
      let chunk = open.get(slot);
      if (!chunk || chunk.length === MAX_GROUPS_PER_SCRIPT) open.set(slot, (chunk = chunks[chunks.push([]) - 1]!));
      chunk.push(i);
    });
    return chunks;
  }

  private async runGroups(groups: NormalizedDescriptor[][], idx: number[], out: DecisionOutput[][]): Promise<void> {
    const keys: string[] = [];
    const args: Array<string | number> = [idx.length];
    for (const i of idx) {
      const g = groups[i]!;
      args.push(g.length);
      for (const d of g) {
        keys.push(d.storageKey);
        args.push(d.algorithm, d.limit, d.windowMs, d.cost);
      }
    }
    const flat = await this.run(keys.length, ...keys, ...args);
    let b = 0;
    for (const i of idx) {
      out[i] = groups[i]!.map(() => {
        const r = { allowed: flat[b] === 1, limit: flat[b + 1]!, remaining: flat[b + 2]!, resetAfterMs: flat[b + 3]!, retryAfterMs: flat[b + 4]! };
        b += 5;
        return r;
      });
    }
  }
}
