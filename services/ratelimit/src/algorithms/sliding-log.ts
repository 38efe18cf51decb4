import { readFileSync } from "node:fs";
import { Algorithm } from "../types";
import type { AlgorithmSpec, Assessment, MemoryAlgorithm, MemoryStore, NormalizedDescriptor } from "./types";

/** The Lua fragment run inside the group script (sliding-log.lua, next to this file). */
export const SLIDING_LOG_LUA = readFileSync(new URL("./sliding-log.lua", import.meta.url), "utf8");

interface LogAssessment extends Assessment {
  count: number;
  /** The log after expired entries were dropped: admission times in µs, oldest first. */
  log: number[];
}

const ceilMs = (us: number) => Math.ceil(us / 1000);

/** The same algorithm as sliding-log.lua over a {@link MemoryStore}: one array of times per key. */
export const slidingLogMemory: MemoryAlgorithm<LogAssessment> = {
  assess(store: MemoryStore, d: NormalizedDescriptor, nowUs: number): LogAssessment {
    const stored = store.get<number[]>(d.storageKey, nowUs) ?? [];
    const cutoff = nowUs - d.windowMs * 1000;
    let expired = 0;
    while (expired < stored.length && stored[expired]! <= cutoff) expired++;
    const log = expired > 0 ? stored.slice(expired) : stored;
    return { count: log.length, allowed: log.length + d.cost <= d.limit, log };
  },

  commit(store, d, a, nowUs) {
    // Times are non-decreasing with a monotonic clock, so appending keeps the log sorted.
    const log = a.log.concat(new Array<number>(d.cost).fill(nowUs));
    store.set(d.storageKey, log, nowUs + d.windowMs * 1000);
    const resetAfterMs = ceilMs(log[0]! + d.windowMs * 1000 - nowUs);
    return { allowed: true, limit: d.limit, remaining: d.limit - a.count - d.cost, resetAfterMs, retryAfterMs: 0 };
  },

  report(store, d, a, nowUs) {
    const windowUs = d.windowMs * 1000;
    const oldest = a.log[0];
    const newest = a.log[a.log.length - 1];
    // Like the Lua side: reset = oldest unit's expiry (draft-11 `t`), the entry lives until the newest's.
    const resetAfterMs = oldest === undefined ? 0 : ceilMs(oldest + windowUs - nowUs);
    if (newest === undefined) store.delete(d.storageKey);
    else store.set(d.storageKey, a.log, nowUs + ceilMs(newest + windowUs - nowUs) * 1000);
    let retryAfterMs = 0;
    if (!a.allowed) retryAfterMs = ceilMs(a.log[a.count + d.cost - d.limit - 1]! + windowUs - nowUs);
    return { allowed: a.allowed, limit: d.limit, remaining: Math.max(0, d.limit - a.count), resetAfterMs, retryAfterMs };
  },
};

/** The sliding log: exact, memory O(limit) per key. The service's default algorithm. */
export const slidingLog: AlgorithmSpec = {
  id: Algorithm.SLIDING_LOG,
  name: "sliding-log",
  lua: SLIDING_LOG_LUA,
  memory: slidingLogMemory,
  maxLimit: ({ maxLogLimit }) => maxLogLimit,
};
