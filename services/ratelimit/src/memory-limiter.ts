import { ALGORITHMS, type MemoryStore, type NormalizedDescriptor } from "./algorithms";
import type { RateLimiter } from "./limiter";
import type { Algorithm, DecisionOutput, DescriptorInput } from "./types";
import { validateGroups } from "./validation";

/** Options for {@link MemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /** Key prefix, as `config.redis.prefix` (it takes part in the cluster-slot check). Default `datahub`. */
  prefix?: string;
  /** Highest sliding-log limit (`config.ratelimit.maxLogLimit`). Default 10,000. */
  maxLogLimit?: number;
  /** What ALGORITHM_UNSPECIFIED means. Default sliding log. */
  defaultAlgorithm?: Algorithm;
  /** Clock in milliseconds (fractions allowed); tests inject a fake one. Default: a monotonic clock. */
  now?: () => number;
  /** How often (clock ms) expired keys are swept on a later check. Default 10 s. */
  sweepEveryMs?: number;
}

interface Entry {
  value: unknown;
  expiresAtUs: number;
}

/** A Map with Redis-like expiry: expired entries read as absent and are swept now and then. */
class ExpiringMap implements MemoryStore {
  readonly entries = new Map<string, Entry>();
  get<T>(key: string, nowUs: number): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAtUs <= nowUs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value as T;
  }
  set<T>(key: string, value: T, expiresAtUs: number): void {
    this.entries.set(key, { value, expiresAtUs });
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
  sweep(nowUs: number): void {
    for (const [k, e] of this.entries) if (e.expiresAtUs <= nowUs) this.entries.delete(k);
  }
}

/**
 * The rate limiter in process memory, with exactly the semantics of {@link RedisRateLimiter} (the
 * same algorithms run their TypeScript twins of the Lua fragments). Per-process only: N instances
 * admit N times the limit. Used by unit tests and as the edge's `local` fallback when Redis is down.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly store = new ExpiringMap();
  private readonly prefix: string;
  private readonly maxLogLimit: number;
  private readonly defaultAlgorithm: Algorithm | undefined;
  private readonly nowMs: () => number;
  private readonly sweepEveryUs: number;
  private nextSweepUs = 0;

  constructor(opts: MemoryRateLimiterOptions = {}) {
    this.prefix = opts.prefix ?? "datahub";
    this.maxLogLimit = opts.maxLogLimit ?? 10_000;
    this.defaultAlgorithm = opts.defaultAlgorithm;
    this.nowMs = opts.now ?? (() => performance.timeOrigin + performance.now());
    this.sweepEveryUs = (opts.sweepEveryMs ?? 10_000) * 1000;
  }

  /** Number of live keys held (for tests and gauges). */
  get size(): number {
    return this.store.entries.size;
  }

  async check(groups: DescriptorInput[][]): Promise<DecisionOutput[][]> {
    const valid = validateGroups(groups, { prefix: this.prefix, maxLogLimit: this.maxLogLimit, defaultAlgorithm: this.defaultAlgorithm });
    const nowUs = Math.floor(this.nowMs() * 1000);
    if (nowUs >= this.nextSweepUs) {
      this.store.sweep(nowUs);
      this.nextSweepUs = nowUs + this.sweepEveryUs;
    }
    return valid.map((g) => this.checkGroup(g, nowUs));
  }

  async close(): Promise<void> {
    this.store.entries.clear();
  }

  /** Mirrors group.lua: assess all, then commit all (admitted) or report all (refused). */
  private checkGroup(group: NormalizedDescriptor[], nowUs: number): DecisionOutput[] {
    const algos = group.map((d) => ALGORITHMS.get(d.algorithm)!.memory);
    const assessments = group.map((d, i) => algos[i]!.assess(this.store, d, nowUs));
    const admit = assessments.every((a) => a.allowed);
    return group.map((d, i) =>
      admit ? algos[i]!.commit(this.store, d, assessments[i], nowUs) : algos[i]!.report(this.store, d, assessments[i], nowUs),
    );
  }
}
