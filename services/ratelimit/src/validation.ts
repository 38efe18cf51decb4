import calculateSlot from "cluster-key-slot";
import { ALGORITHMS, DEFAULT_ALGORITHM, type NormalizedDescriptor } from "./algorithms";
import type { Algorithm, DescriptorInput } from "./types";

/** Bounds on what one call may ask; each one keeps a single script or RPC small and fast. */
export const LIMITS = {
  maxDescriptorsPerGroup: 16,
  maxGroupsPerBatch: 5000,
  maxKeyBytes: 512,
  maxWindowMs: 7 * 24 * 60 * 60 * 1000,
} as const;

/** Options that shape validation. */
export interface ValidationOptions {
  /** `config.redis.prefix`: storage keys are `${prefix}:rl:${key}`. */
  prefix: string;
  /** `config.ratelimit.maxLogLimit`: the highest limit a sliding log accepts. */
  maxLogLimit: number;
  /** What ALGORITHM_UNSPECIFIED means (`config.ratelimit.defaultAlgorithm`); default sliding log. */
  defaultAlgorithm?: Algorithm;
}

/**
 * Bad input, found before anything was consumed. `group` is the index of the offending group (-1 for
 * the batch as a whole) and `path` the field inside it in proto names, e.g. `descriptors[1].window_ms`.
 */
export class RateLimitInputError extends Error {
  override name = "RateLimitInputError";
  constructor(
    readonly group: number,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${group >= 0 ? `groups[${group}].` : ""}${path}: ${reason}`);
  }
}

/** The Redis key of a descriptor key. The prefix has no braces, so the caller's hash tag decides the slot. */
export function storageKey(prefix: string, key: string): string {
  return `${prefix}:rl:${key}`;
}

/**
 * Validates every group of a call and applies defaults (cost 0 → 1, UNSPECIFIED → sliding log).
 * All groups are checked before any is run, so an invalid call consumes nothing.
 * @throws RateLimitInputError naming the first bad field.
 */
export function validateGroups(groups: DescriptorInput[][], opts: ValidationOptions): NormalizedDescriptor[][] {
  if (groups.length > LIMITS.maxGroupsPerBatch) {
    throw new RateLimitInputError(-1, "requests", `at most ${LIMITS.maxGroupsPerBatch} groups per batch, got ${groups.length}`);
  }
  return groups.map((g, i) => validateGroup(g, i, opts));
}

/** A key this many UTF-16 units long is at most 3 bytes per unit: within the limit, no need to count. */
const SURELY_SHORT_KEY = Math.floor(LIMITS.maxKeyBytes / 3);

/**
 * Throws the input error of group `gi`. A module function, not a closure per group: the sources run
 * through esbuild with keepNames, which names every closure with an `Object.defineProperty` as it is
 * created, once per group and descriptor here (docs/architecture.md, "Measured choices").
 */
function fail(gi: number, path: string, reason: string): never {
  throw new RateLimitInputError(gi, path, reason);
}

/** The path of a descriptor's field, in proto names. */
function at(di: number, field: string): string {
  return `descriptors[${di}].${field}`;
}

function validateGroup(group: DescriptorInput[], gi: number, opts: ValidationOptions): NormalizedDescriptor[] {
  if (group.length === 0) fail(gi, "descriptors", "at least one descriptor is required");
  if (group.length > LIMITS.maxDescriptorsPerGroup) {
    fail(gi, "descriptors", `at most ${LIMITS.maxDescriptorsPerGroup} descriptors per request, got ${group.length}`);
  }
  // The checks that compare descriptors of a group (duplicate keys, one cluster slot) only exist
  // for groups of two or more; the edge's common group has one.
  const single = group.length === 1;
  const seen = single ? undefined : new Set<string>();
  let firstSlot = -1;
  const out = new Array<NormalizedDescriptor>(group.length);
  for (let di = 0; di < group.length; di++) {
    const d = group[di]!;
    const key = d.key ?? "";
    if (key.length === 0) fail(gi, at(di, "key"), "must not be empty");
    if (key.length > SURELY_SHORT_KEY) {
      const bytes = Buffer.byteLength(key, "utf8");
      if (bytes > LIMITS.maxKeyBytes) fail(gi, at(di, "key"), `must be at most ${LIMITS.maxKeyBytes} bytes, got ${bytes}`);
    }
    if (seen !== undefined) {
      if (seen.has(key)) fail(gi, at(di, "key"), "appears twice in one request; give each limit its own key");
      seen.add(key);
    }

    const algorithm = d.algorithm === 0 ? (opts.defaultAlgorithm ?? DEFAULT_ALGORITHM) : d.algorithm;
    const spec = ALGORITHMS.get(algorithm);
    // Every enum value this build knows has a spec, so a value without one is unknown.
    if (!spec) fail(gi, at(di, "algorithm"), `unknown (${algorithm}) is not an algorithm`);
    if (!isPositiveInt(d.limit)) fail(gi, at(di, "limit"), `must be a positive integer, got ${d.limit}`);
    const maxLimit = spec!.maxLimit?.(opts);
    if (maxLimit !== undefined && d.limit > maxLimit) {
      fail(gi, at(di, "limit"), `must be at most ${maxLimit} for ${spec!.name} (memory grows with the limit), got ${d.limit}`);
    }
    if (!isPositiveInt(d.windowMs) || d.windowMs > LIMITS.maxWindowMs) {
      fail(gi, at(di, "window_ms"), `must be an integer from 1 to ${LIMITS.maxWindowMs} (7 days), got ${d.windowMs}`);
    }
    const cost = d.cost === 0 || d.cost === undefined ? 1 : d.cost;
    if (!isPositiveInt(cost)) fail(gi, at(di, "cost"), `must be a non-negative integer, got ${d.cost}`);
    if (cost > d.limit) fail(gi, at(di, "cost"), `must not exceed limit (${d.limit}), got ${cost}`);

    const sk = storageKey(opts.prefix, key);
    if (!single) {
      const slot = calculateSlot(sk);
      if (di === 0) firstSlot = slot;
      else if (slot !== firstSlot) {
        fail(gi, at(di, "key"), `maps to Redis Cluster slot ${slot} but descriptors[0].key to slot ${firstSlot}; every key of one request needs the same {hash tag}`);
      }
    }
    out[di] = { key, storageKey: sk, limit: d.limit, windowMs: d.windowMs, cost, algorithm };
  }
  return out;
}

function isPositiveInt(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}
