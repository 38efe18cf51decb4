import { readFileSync } from "node:fs";
import { Algorithm } from "../types";
import type { AlgorithmSpec, Assessment, MemoryAlgorithm } from "./types";

/** The Lua fragment run inside the group script (fixed-window.lua, next to this file). */
export const FIXED_WINDOW_LUA = readFileSync(new URL("./fixed-window.lua", import.meta.url), "utf8");

interface WindowState {
  /** Window index: floor(now / window). */
  w: number;
  c: number;
}

interface FixedAssessment extends Assessment {
  count: number;
  idx: number;
  /** End of the current window, µs. */
  ends: number;
}

const ceilMs = (us: number) => Math.ceil(us / 1000 - 1e-9);

/** The same algorithm as fixed-window.lua over a MemoryStore. */
export const fixedWindowMemory: MemoryAlgorithm<FixedAssessment> = {
  assess(store, d, nowUs) {
    const w = d.windowMs * 1000;
    const idx = Math.floor(nowUs / w);
    const s = store.get<WindowState>(d.storageKey, nowUs);
    const count = s !== undefined && s.w === idx ? s.c : 0;
    return { count, idx, ends: (idx + 1) * w, allowed: count + d.cost <= d.limit };
  },
  commit(store, d, a, nowUs) {
    const left = ceilMs(a.ends - nowUs);
    store.set<WindowState>(d.storageKey, { w: a.idx, c: a.count + d.cost }, nowUs + Math.max(1, left) * 1000);
    return { allowed: true, limit: d.limit, remaining: d.limit - a.count - d.cost, resetAfterMs: left, retryAfterMs: 0 };
  },
  report(_store, d, a, nowUs) {
    const left = ceilMs(a.ends - nowUs);
    return {
      allowed: a.allowed,
      limit: d.limit,
      remaining: Math.max(0, d.limit - a.count),
      resetAfterMs: a.count > 0 ? left : 0,
      retryAfterMs: a.allowed ? 0 : left,
    };
  },
};

/** Fixed, epoch-aligned windows (calendar quotas): exact, O(1) memory per key. */
export const fixedWindow: AlgorithmSpec = {
  id: Algorithm.FIXED_WINDOW,
  name: "fixed-window",
  lua: FIXED_WINDOW_LUA,
  memory: fixedWindowMemory,
};
