import { readFileSync } from "node:fs";
import { Algorithm } from "../types";
import type { AlgorithmSpec, Assessment, MemoryAlgorithm, NormalizedDescriptor } from "./types";

/** The Lua fragment run inside the group script (sliding-window.lua, next to this file). */
export const SLIDING_WINDOW_LUA = readFileSync(new URL("./sliding-window.lua", import.meta.url), "utf8");

interface CounterState {
  /** Current window index. */
  w: number;
  /** Count in window `w`. */
  c: number;
  /** Count in window `w - 1`. */
  p: number;
}

interface CounterAssessment extends Assessment {
  w: number;
  idx: number;
  start: number;
  ends: number;
  cur: number;
  prev: number;
  est: number;
}

const ceilMs = (us: number) => Math.ceil(us / 1000 - 1e-9);

function reset(a: CounterAssessment, cur: number, nowUs: number): number {
  const toEnd = a.ends - nowUs;
  if (a.prev > 0) return ceilMs(Math.min(a.w / a.prev, toEnd));
  if (cur > 0) return ceilMs(toEnd + a.w / cur);
  return 0;
}

function retryAt(d: NormalizedDescriptor, a: CounterAssessment): number {
  const room = d.limit - d.cost - a.cur;
  if (room >= 0 && a.prev > 0) return a.start + (1 - room / a.prev) * a.w;
  if (a.cur + d.cost <= d.limit) return a.ends;
  return a.ends + (1 - (d.limit - d.cost) / a.cur) * a.w;
}

/** The same algorithm as sliding-window.lua over a MemoryStore. */
export const slidingWindowMemory: MemoryAlgorithm<CounterAssessment> = {
  assess(store, d, nowUs) {
    const w = d.windowMs * 1000;
    const idx = Math.floor(nowUs / w);
    const s = store.get<CounterState>(d.storageKey, nowUs);
    let cur = 0;
    let prev = 0;
    if (s?.w === idx) {
      cur = s.c;
      prev = s.p;
    } else if (s?.w === idx - 1) prev = s.c;
    const start = idx * w;
    const est = prev * (1 - (nowUs - start) / w) + cur;
    return { w, idx, start, ends: start + w, cur, prev, est, allowed: est + d.cost <= d.limit };
  },
  commit(store, d, a, nowUs) {
    const cur = a.cur + d.cost;
    store.set<CounterState>(d.storageKey, { w: a.idx, c: cur, p: a.prev }, nowUs + Math.max(1, ceilMs(a.ends + a.w - nowUs)) * 1000);
    const remaining = Math.max(0, Math.floor(d.limit - a.est - d.cost + 1e-9));
    return { allowed: true, limit: d.limit, remaining, resetAfterMs: reset(a, cur, nowUs), retryAfterMs: 0 };
  },
  report(_store, d, a, nowUs) {
    return {
      allowed: a.allowed,
      limit: d.limit,
      remaining: Math.max(0, Math.floor(d.limit - a.est + 1e-9)),
      resetAfterMs: reset(a, a.cur, nowUs),
      retryAfterMs: a.allowed ? 0 : Math.max(1, ceilMs(retryAt(d, a) - nowUs)),
    };
  },
};

/** The sliding-window counter: approximate, O(1) memory per key. */
export const slidingWindow: AlgorithmSpec = {
  id: Algorithm.SLIDING_WINDOW,
  name: "sliding-window",
  lua: SLIDING_WINDOW_LUA,
  memory: slidingWindowMemory,
};
