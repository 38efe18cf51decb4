import { spawn, type ChildProcess } from "node:child_process";
import { imageNodeOptions } from "../deploy/support/image-node-options";

/** A process the bench started; it is killed when the bench exits, fails or is interrupted. */
export interface BenchChild {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The last 64 KiB of stdout+stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The NODE_OPTIONS of the bench's Node.js children: the image's (deploy/support/image-node-options.ts),
 * so the bench measures DataHub as it is deployed. BENCH_NODE_OPTIONS replaces it (`""`: Node's
 * defaults, for an A/B run).
 */
export function benchNodeOptions(): string {
  return process.env.BENCH_NODE_OPTIONS ?? imageNodeOptions();
}

/** Options for {@link spawnChild}. */
export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve once a line of the child's output matches; the match is returned. */
  ready?: RegExp;
  /** How long to wait for `ready` before killing the child and failing. */
  readyTimeoutMs?: number;
  /** Copy the child's output to this process's stderr (for debugging). */
  echo?: boolean;
}

const live = new Set<BenchChild>();
const tracked = new Set<ChildProcess>();
let cleanupInstalled = false;

/**
 * Children run in their own process group (detached) so that a child which itself spawns
 * processes (npx, a CLI) is killed whole; because of that, Ctrl-C does not reach them by itself,
 * and these handlers do it instead.
 */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      killAllNow();
      process.exit(130);
    });
  }
  process.on("uncaughtException", (err) => {
    killAllNow();
    console.error(err);
    process.exit(1);
  });
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    try {
      proc.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Synchronously SIGKILLs every child still alive (used on exit paths where nothing can wait). */
export function killAllNow(): void {
  for (const c of live) killGroup(c.proc, "SIGKILL");
  live.clear();
  for (const p of tracked) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  tracked.clear();
}

/**
 * Registers a short-lived process started elsewhere (the load tool, via execFile) so that it is
 * killed too when the bench is interrupted; it is forgotten once it exits.
 */
export function trackProcess(proc: ChildProcess): void {
  installCleanup();
  tracked.add(proc);
  proc.once("exit", () => tracked.delete(proc));
}

/** Stops every child still alive, gracefully. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

/** Runs a bench script's `main`, stops every child, and exits with its code (1 on an error). */
export function runMain(main: () => Promise<number>): void {
  main().then(
    async (code) => {
      await stopAll();
      process.exit(code);
    },
    async (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      await stopAll();
      process.exit(1);
    },
  );
}

/**
 * Spawns `command args` as a bench child. With `ready`, resolves only once a line of its output
 * matches (e.g. `READY 12345`), and fails with the child's output if it exits or times out first.
 */
export async function spawnChild(
  name: string,
  command: string,
  args: string[],
  opts: SpawnOptions = {},
): Promise<{ child: BenchChild; match: RegExpMatchArray | null }> {
  installCleanup();
  const env = opts.env ?? process.env;
  const proc = spawn(command, args, {
    cwd: opts.cwd,
    // Every Node.js process of the bench (DataHub, the yardsticks, the upstream) runs as the image runs Node.
    env: env.NODE_OPTIONS === undefined ? { ...env, NODE_OPTIONS: benchNodeOptions() } : env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let buf = "";
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const child: BenchChild = {
    name,
    proc,
    output: () => buf,
    async stop(graceMs = 5000) {
      live.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      killGroup(proc, "SIGTERM");
      const timer = setTimeout(() => killGroup(proc, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(child);

  let onLine: ((line: string) => void) | undefined;
  let pending = "";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    if (opts.echo) process.stderr.write(`[${name}] ${text}`);
    buf = (buf + text).slice(-65536);
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine?.(line);
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);

  if (!opts.ready) return { child, match: null };
  const ready = opts.ready;
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  try {
    const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${timeoutMs} ms`)), timeoutMs);
      onLine = (line) => {
        const m = line.match(ready);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name}: exited (${signal ?? code}) before it was ready`));
      });
      proc.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    onLine = undefined;
    return { child, match };
  } catch (err) {
    await child.stop(1000);
    const tail = buf.split("\n").slice(-30).join("\n");
    throw new Error(`${(err as Error).message}\n--- ${name} output (tail) ---\n${tail}`);
  }
}
