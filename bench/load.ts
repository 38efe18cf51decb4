import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { trackProcess } from "./children";

const execFileAsync = promisify(execFile);

/** execFile, with the process registered for kill-on-interrupt. */
function run(file: string, args: string[], opts: { timeout: number; killSignal?: NodeJS.Signals; maxBuffer?: number }) {
  const p = execFileAsync(file, args, opts);
  trackProcess(p.child);
  return p;
}

/** What one load run measured. */
export interface LoadResult {
  tool: LoadTool;
  /** Completed responses (any status). */
  requests: number;
  durationS: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses outside 2xx/3xx (wrk counts status ≥ 400; autocannon counts non-2xx). */
  non2xx: number;
  /** Connect/read/write errors and timeouts: requests that got no response at all. */
  socketErrors: number;
  /** Responses completed during the unmeasured warm-up (set by {@link runLoad}). */
  warmupRequests?: number;
}

/** The load generators the bench can drive; wrk is preferred because it costs little CPU. */
export type LoadTool = "wrk" | "autocannon";

/** Options of one load run. */
export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** Unmeasured run of this many seconds first (JIT, connection pools, caches). */
  warmupS: number;
  headers?: Record<string, string>;
  /** A fixed rate (requests/s over all connections) instead of as fast as possible; autocannon only (wrk has no rate). */
  rate?: number;
}

/** Printed when no load generator is found. */
export const LOAD_TOOL_HINT =
  "No load generator found: install wrk (`sudo apt-get install -y wrk`, preferred) or run `npm install` to get autocannon (a root devDependency).";

/** Parses wrk's duration notation (`850.12us`, `9.85ms`, `1.20s`, `2.00m`) into milliseconds. */
export function parseWrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`unparsable wrk duration: ${text}`);
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "us" | "ms" | "s" | "m" | "h"];
  return Number(m[1]) * scale;
}

/**
 * Parses the text wrk 4 prints when run with `--latency`. Throws when a required line is missing,
 * so a changed wrk output format fails loudly instead of producing zeros.
 */
export function parseWrkOutput(text: string): LoadResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(text);
    if (!m) throw new Error(`wrk output has no ${what} line:\n${text}`);
    return m;
  };
  const total = need(/^\s*(\d+) requests in ([\d.]+\w+)/m, "'N requests in T'");
  const rps = need(/^Requests\/sec:\s+([\d.]+)/m, "'Requests/sec'");
  const p50 = need(/^\s*50%\s+([\d.]+\w+)/m, "50% latency (run wrk with --latency)");
  const p99 = need(/^\s*99%\s+([\d.]+\w+)/m, "99% latency (run wrk with --latency)");
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    tool: "wrk",
    requests: Number(total[1]),
    durationS: parseWrkDuration(total[2]!) / 1000,
    requestsPerSec: Number(rps[1]),
    p50Ms: parseWrkDuration(p50[1]!),
    p99Ms: parseWrkDuration(p99[1]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/** Parses `autocannon --json` output. */
export function parseAutocannonJson(json: string): LoadResult {
  const r = JSON.parse(json) as {
    duration: number;
    non2xx: number;
    errors: number;
    timeouts: number;
    latency: { p50: number; p99: number };
    requests: { total: number };
  };
  return {
    tool: "autocannon",
    requests: r.requests.total,
    durationS: r.duration,
    requestsPerSec: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    socketErrors: r.errors + r.timeouts,
  };
}

function autocannonBin(): string | null {
  try {
    return createRequire(import.meta.url).resolve("autocannon/autocannon.js");
  } catch {
    return null;
  }
}

/** wrk when it is on PATH, else autocannon from node_modules, else null (print {@link LOAD_TOOL_HINT}). */
export async function detectLoadTool(): Promise<LoadTool | null> {
  try {
    await run("wrk", ["--version"], { timeout: 5000 });
    return "wrk";
  } catch (err) {
    // `wrk --version` prints its banner and exits 1; only a missing binary is ENOENT.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return "wrk";
  }
  return autocannonBin() ? "autocannon" : null;
}

/** A description of the tool and settings, for the report. */
export function describeLoad(tool: LoadTool, o: Pick<LoadOptions, "connections" | "durationS" | "warmupS">): string {
  return tool === "wrk"
    ? `wrk -t1 -c${o.connections} -d${o.durationS}s --latency, after a ${o.warmupS} s warm-up with the same settings`
    : `autocannon -c ${o.connections} -d ${o.durationS}, after a ${o.warmupS} s warm-up with the same settings`;
}

async function once(tool: LoadTool, o: LoadOptions, durationS: number): Promise<LoadResult> {
  // Bounded: a stuck target must not hang the bench.
  const timeout = (durationS + 20) * 1000;
  const headerArgs = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ["-H", tool === "wrk" ? `${k}: ${v}` : `${k}=${v}`]);
  if (tool === "wrk" && o.rate === undefined) {
    const args = ["-t1", `-c${o.connections}`, `-d${durationS}s`, "--latency", ...headerArgs, o.url];
    const { stdout } = await run("wrk", args, { timeout, killSignal: "SIGKILL", maxBuffer: 1 << 20 });
    return parseWrkOutput(stdout);
  }
  const bin = autocannonBin();
  if (!bin) throw new Error(LOAD_TOOL_HINT);
  const rate = o.rate !== undefined ? ["--overallRate", String(Math.max(1, Math.round(o.rate)))] : [];
  const args = [bin, "--json", "-c", String(o.connections), "-d", String(durationS), ...rate, ...headerArgs, o.url];
  const { stdout } = await run(process.execPath, args, { timeout, killSignal: "SIGKILL", maxBuffer: 16 << 20 });
  return parseAutocannonJson(stdout);
}

/** Warm-up (unmeasured), then the measured run; both with the same tool and settings. */
export async function runLoad(tool: LoadTool, o: LoadOptions): Promise<LoadResult> {
  const warm = o.warmupS > 0 ? await once(tool, o, o.warmupS) : undefined;
  const result = await once(tool, o, o.durationS);
  return { ...result, warmupRequests: warm?.requests ?? 0 };
}
