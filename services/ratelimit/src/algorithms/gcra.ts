import { readFileSync } from "node:fs";
import { Algorithm } from "../types";
import type { AlgorithmSpec, Assessment, MemoryAlgorithm, NormalizedDescriptor } from "./types";

/** The Lua fragment run inside the group script (gcra.lua, next to this file). */
export const GCRA_LUA = readFileSync(new URL("./gcra.lua", import.meta.url), "utf8");

interface GcraAssessment extends Assessment {
  /** max(stored TAT, now), µs. */
  tat: number;
  /** TAT after admitting `cost` units. */
  newTat: number;
  /** Emission interval: window / limit, µs. */
  t: number;
  w: number;
}

const ceilMs = (us: number) => Math.ceil(us / 1000 - 1e-9);

function remaining(d: NormalizedDescriptor, a: GcraAssessment, tat: number, nowUs: number): number {
  return Math.min(d.limit, Math.max(0, Math.floor((a.w - (tat - nowUs)) / a.t + 1e-9)));
}

function reset(t: number, tat: number, nowUs: number): number {
  const busy = tat - nowUs;
  if (busy <= 0) return 0;
  const used = Math.ceil(busy / t - 1e-9);
  return ceilMs(busy - (used - 1) * t);
}

/** The same algorithm as gcra.lua over a MemoryStore: one number (TAT, µs) per key. */
export const gcraMemory: MemoryAlgorithm<GcraAssessment> = {
  assess(store, d, nowUs) {
    const w = d.windowMs * 1000;
    const t = w / d.limit;
    const tat = Math.max(store.get<number>(d.storageKey, nowUs) ?? 0, nowUs);
    const newTat = tat + d.cost * t;
    return { tat, newTat, t, w, allowed: newTat - nowUs <= w + Math.min(1, t / 2) };
  },
  commit(store, d, a, nowUs) {
    store.set(d.storageKey, a.newTat, nowUs + Math.max(1, Math.ceil((a.newTat - nowUs) / 1000)) * 1000);
    return { allowed: true, limit: d.limit, remaining: remaining(d, a, a.newTat, nowUs), resetAfterMs: reset(a.t, a.newTat, nowUs), retryAfterMs: 0 };
  },
  report(_store, d, a, nowUs) {
    const retryAfterMs = a.allowed ? 0 : ceilMs(a.newTat - a.w - nowUs);
    return { allowed: a.allowed, limit: d.limit, remaining: remaining(d, a, a.tat, nowUs), resetAfterMs: reset(a.t, a.tat, nowUs), retryAfterMs };
  },
};

/** GCRA: rate limit/window with a burst of `limit`; exact, O(1) memory per key. */
export const gcra: AlgorithmSpec = {
  id: Algorithm.GCRA,
  name: "gcra",
  lua: GCRA_LUA,
  memory: gcraMemory,
};
