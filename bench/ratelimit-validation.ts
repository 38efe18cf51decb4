/**
 * What validating a rate-limit batch costs the ratelimit service (`validateGroups`, run on every
 * CheckBatchStream batch before any group runs): nanoseconds per group for a batch shaped like
 * the bench's (G one-descriptor groups, default 26) and for groups of two descriptors. Best of 5 ×
 * N batches (default 20,000) after a warm-up of the same size, ROUNDS times (default 3).
 *   node --import tsx bench/ratelimit-validation.ts
 */
import { validateGroups } from "../services/ratelimit/src/validation";

const G = Number(process.env.G ?? 26);
const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const opts = { prefix: "datahub", maxLogLimit: 100_000 };
const descriptor = (key: string) => ({ key, limit: 100_000, windowMs: 1000, cost: 1, algorithm: 0 });
const one = Array.from({ length: G }, (_, i) => [descriptor(`{k:0190a000-0000-7000-8000-${String(i).padStart(12, "0")}}:default`)]);
const two = Array.from({ length: G }, (_, i) => [descriptor(`{k:${i}}:key`), descriptor(`{k:${i}}:route:orders`)]);

function nsPerGroup(groups: typeof one): number {
  for (let i = 0; i < N; i++) validateGroups(groups, opts);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) validateGroups(groups, opts);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / (N * groups.length));
  }
  return best;
}

for (let round = 1; round <= ROUNDS; round++) {
  console.log(`round ${round}: ${nsPerGroup(one).toFixed(0)} ns per group of one descriptor, ${nsPerGroup(two).toFixed(0)} ns per group of two (${G} groups per batch)`);
}
