/**
 * The hot-path cost of each rate-limit algorithm: the DataHub full pipeline (all-in-one
 * `datahub start`, the bench's scope-protected route with a 10,000/s per-key limit) once per
 * algorithm, against the bare proxy, rows interleaved round by round like bench/run.ts. Reports
 * each algorithm's throughput and its ratio to the bare proxy (median of per-round ratios).
 *
 * From bench/run.ts: `await benchRateLimitAlgorithms({ tool, load, rounds, upstreamUrl, bareUrl })`.
 * Alone: `node --import tsx bench/ratelimit-algorithms.ts` (starts its own upstream and bare proxy;
 * env BENCH_DURATION_S (5), BENCH_ROUNDS (2), BENCH_CONNECTIONS (64), BENCH_WARMUP_S (2),
 * BENCH_ALGORITHMS=sliding-log,gcra,... to pick).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runMain, spawnChild } from "./children";
import { describeLoad, detectLoadTool, LOAD_TOOL_HINT, runLoad, type LoadOptions, type LoadResult, type LoadTool } from "./load";
import { createBenchKey, migrateStack, prepareStackEnv, startAllInOne, type RunningStack, type StackEnv } from "./stack";
import { fmt, markdownTable } from "./stats";
import { codeVersion, machineFacts } from "./report";
import { Redis } from "ioredis";
import { Algorithm, RedisRateLimiter } from "../services/ratelimit/src/index";
import { startRedisServer } from "../services/ratelimit/test/redis-servers";

/** Every algorithm the gateway offers, in the order reported. */
export const RATE_LIMIT_ALGORITHMS = ["sliding-log", "gcra", "sliding-window", "fixed-window"] as const;
export type RateLimitAlgorithmName = (typeof RATE_LIMIT_ALGORITHMS)[number];

/** Options of {@link benchRateLimitAlgorithms}. */
export interface AlgorithmBenchOptions {
  tool: LoadTool;
  load: Pick<LoadOptions, "connections" | "durationS" | "warmupS">;
  rounds: number;
  upstreamUrl: string;
  /** The bare proxy's URL including the path to load (e.g. `http://127.0.0.1:1234/bench/item`). */
  bareUrl: string;
  algorithms?: readonly RateLimitAlgorithmName[];
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
}

/** One algorithm's measurement. */
export interface AlgorithmBenchRow {
  name: string;
  result: LoadResult;
  /** Median over rounds of (this row's req/s ÷ the bare proxy's req/s in the same round). */
  ratioToBare: number;
}

const PATH = "/bench/item";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function combine(rs: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  const durationS = sum((r) => r.durationS);
  return { ...rs[0]!, requests: sum((r) => r.requests), durationS, requestsPerSec: sum((r) => r.requests) / durationS, p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)), non2xx: sum((r) => r.non2xx), socketErrors: sum((r) => r.socketErrors) };
}

/** Rewrites the bench route's algorithm in the datahub.yaml that prepareStackEnv wrote. */
async function useAlgorithm(env: StackEnv, algorithm: RateLimitAlgorithmName): Promise<void> {
  const path = join(env.configDir, "datahub.yaml");
  const text = await readFile(path, "utf8");
  if (!text.includes("algorithm: sliding-log")) throw new Error("bench/stack.ts datahub.yaml changed: no `algorithm: sliding-log` to replace");
  await writeFile(path, text.replace("algorithm: sliding-log", `algorithm: ${algorithm}`));
}

/** Runs the bench; returns the rows (bare proxy first) and a markdown table. */
export async function benchRateLimitAlgorithms(o: AlgorithmBenchOptions): Promise<{ rows: AlgorithmBenchRow[]; table: string }> {
  const log = o.log ?? console.log;
  const algorithms = o.algorithms ?? RATE_LIMIT_ALGORITHMS;
  const targets: Array<{ name: string; url: string; headers?: Record<string, string>; rounds: LoadResult[]; stop(): Promise<void>; cleanup(): Promise<void> }> = [
    { name: "bare proxy", url: o.bareUrl, rounds: [], stop: async () => {}, cleanup: async () => {} },
  ];
  try {
    for (const algorithm of algorithms) {
      const env = await prepareStackEnv(o.upstreamUrl);
      let stack: RunningStack | undefined;
      try {
        await useAlgorithm(env, algorithm);
        await migrateStack(env);
        stack = await startAllInOne(env);
        const key = await createBenchKey(stack, env, algorithm);
        const s = stack;
        targets.push({ name: algorithm, url: `${s.edgeUrl}${PATH}`, headers: { Authorization: `Bearer ${key.key}` }, rounds: [], stop: () => s.stop(), cleanup: env.cleanup });
      } catch (err) {
        await stack?.stop();
        await env.cleanup();
        throw err;
      }
    }
    for (let round = 0; round < o.rounds; round++) {
      for (const t of targets) {
        const r = await runLoad(o.tool, { ...o.load, warmupS: round === 0 ? o.load.warmupS : 0, url: t.url, headers: t.headers });
        t.rounds.push(r);
        log(`round ${round + 1} ${t.name}: ${fmt(r.requestsPerSec)} req/s`);
      }
    }
  } finally {
    for (const t of targets) {
      await t.stop();
      await t.cleanup();
    }
  }
  const bare = targets[0]!.rounds;
  const rows = targets.map((t) => ({ name: t.name, result: combine(t.rounds), ratioToBare: median(t.rounds.map((r, i) => r.requestsPerSec / bare[i]!.requestsPerSec)) }));
  const table = markdownTable(
    ["algorithm", "requests/s", "p50 ms", "p99 ms", "non-2xx", "errors", "vs bare proxy (median of rounds)"],
    rows.map((r) => [r.name, fmt(r.result.requestsPerSec), fmt(r.result.p50Ms, 2), fmt(r.result.p99Ms, 2), fmt(r.result.non2xx), fmt(r.result.socketErrors), `${fmt(100 * r.ratioToBare)} %`]),
  );
  return { rows, table };
}

const ALGORITHM_IDS: Record<RateLimitAlgorithmName, Algorithm> = {
  "sliding-log": Algorithm.SLIDING_LOG,
  gcra: Algorithm.GCRA,
  "sliding-window": Algorithm.SLIDING_WINDOW,
  "fixed-window": Algorithm.FIXED_WINDOW,
};

/**
 * The algorithms' own cost, apart from the rest of the pipeline: Redis CPU (INFO cpu of a private
 * redis-server, so other users of the shared Redis do not count) per 1,000 checked groups, each
 * group = 2 descriptors (key + route policy) as the edge sends them, 64 groups per script call,
 * limits that never trip (sliding log: 10,000 per 10 s, so logs hold thousands of entries).
 */
export async function measureAlgorithmScripts(rounds = 300): Promise<string> {
  const server = await startRedisServer();
  const redis = new Redis(server.url, { enableAutoPipelining: true });
  try {
    const limiter = new RedisRateLimiter({ client: redis, prefix: "rlbench", maxLogLimit: 10_000, timeoutMs: 10_000 });
    const cpu = async () => {
      const s = await redis.info("cpu");
      const g = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(s)![1]);
      return g("used_cpu_user") + g("used_cpu_sys");
    };
    const rows: string[][] = [];
    for (const name of RATE_LIMIT_ALGORITHMS) {
      const algorithm = ALGORITHM_IDS[name];
      const groups = Array.from({ length: 64 }, (_, i) => [
        { key: `{${name}${i}}:key`, limit: 10_000, windowMs: 10_000, cost: 1, algorithm },
        { key: `{${name}${i}}:route`, limit: 10_000, windowMs: 10_000, cost: 1, algorithm },
      ]);
      for (let r = 0; r < 30; r++) await limiter.check(groups);
      const c0 = await cpu();
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) await limiter.check(groups);
      const secs = (performance.now() - t0) / 1000;
      const k = (rounds * 64) / 1000;
      rows.push([name, fmt(((await cpu()) - c0) * 1000 / k, 1), fmt((rounds * 64) / secs)]);
    }
    return markdownTable(["algorithm", "Redis CPU ms per 1,000 groups", "groups/s (1 script call of 64 in flight)"], rows);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

/**
 * The "Rate-limit algorithms" section of `npm run bench`: its own upstream and bare proxy, one
 * DataHub per algorithm, interleaved rounds, then the scripts' Redis cost alone. Returns the
 * section's markdown, or null when no load tool is installed.
 */
export async function runAlgorithmsSection(log: (line: string) => void = console.log): Promise<string | null> {
  const tool = await detectLoadTool();
  if (!tool) {
    console.error(LOAD_TOOL_HINT);
    return null;
  }
  const int = (name: string, d: number) => Math.max(0, Number(process.env[name] ?? d) | 0);
  const load = { connections: int("BENCH_CONNECTIONS", 64), durationS: int("BENCH_ALGORITHMS_DURATION_S", 5), warmupS: int("BENCH_WARMUP_S", 2) };
  const rounds = Math.max(1, int("BENCH_ALGORITHMS_ROUNDS", 2));
  const picked = process.env.BENCH_ALGORITHMS?.split(",").map((s) => s.trim()).filter(Boolean) as RateLimitAlgorithmName[] | undefined;
  const bad = picked?.filter((a) => !RATE_LIMIT_ALGORITHMS.includes(a));
  if (bad?.length) throw new Error(`BENCH_ALGORITHMS: unknown ${bad.join(", ")}`);
  const script = (n: string) => fileURLToPath(new URL(n, import.meta.url));
  const { child: upstream, match: up } = await spawnChild("upstream", process.execPath, ["--import", "tsx", script("./upstream.ts")], { ready: /^READY (\d+)/ });
  const upstreamUrl = `http://127.0.0.1:${up![1]}`;
  const { child: bare, match: bp } = await spawnChild("bare proxy", process.execPath, ["--import", "tsx", script("./bare-proxy.ts"), upstreamUrl], { ready: /^READY (\d+)/ });
  try {
    const started = new Date().toISOString();
    log(`rate-limit algorithms: ${describeLoad(tool, load)}, ${rounds} interleaved round(s)`);
    const { table } = await benchRateLimitAlgorithms({ tool, load, rounds, upstreamUrl, bareUrl: `http://127.0.0.1:${bp![1]}${PATH}`, algorithms: picked, log });
    const scripts = await measureAlgorithmScripts();
    return [
      `Command: \`npm run bench\` (section "algorithms"; alone: \`node --import tsx bench/ratelimit-algorithms.ts\`), run ${started}, ${codeVersion()}.`,
      `Machine: ${await machineFacts()}. Load: ${describeLoad(tool, load)}; ${rounds} interleaved rounds; each row is the full pipeline (all in one) with the bench route's limit on that algorithm (never reached).`,
      "",
      table,
      "",
      "The scripts' own Redis CPU (a private redis-server; 64 groups of 2 descriptors per call, distinct keys, limits that never trip):",
      "",
      scripts,
    ].join("\n");
  } finally {
    await bare.stop();
    await upstream.stop();
  }
}

/** Standalone run. */
async function main(): Promise<number> {
  const body = await runAlgorithmsSection();
  if (body === null) return 2;
  console.log(`\n${body}`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runMain(main);
}
