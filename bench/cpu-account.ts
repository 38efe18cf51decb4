/**
 * Where the CPU goes per request: runs the same load against the bare proxy and DataHub (all in one)
 * and reads every process's CPU time from /proc before and after, grouped as the proxy under test,
 * the upstream, the load tool, PostgreSQL and Redis. The result is CPU microseconds per request for
 * each group — a per-request cost, so it does not drift with the machine's speed the way req/s does.
 *
 * Run: `node --import tsx bench/cpu-account.ts` (Linux only). Env: BENCH_DURATION_S (10),
 * BENCH_CONNECTIONS (64), BENCH_NODE_ARGS (extra node flags for DataHub), BENCH_ECHO=1,
 * BENCH_NODE_OPTIONS (NODE_OPTIONS of every process it starts; default the Dockerfile's, "" for none).
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { classify, readProcs, TICK_US } from "./proc-cpu";
import { fileURLToPath } from "node:url";
import { spawnChild, stopAll } from "./children";
import { runLoad } from "./load";
import { createBenchKey, migrateStack, prepareStackEnv, startAllInOne } from "./stack";

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** CPU ticks per thread of one process, by thread name and id (BENCH_THREADS=1). */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const f = stat.slice(close + 2).split(" ");
      out.set(`${stat.slice(stat.indexOf("(") + 1, close)}/${tid}`, Number(f[11]) + Number(f[12]));
    } catch {
      /* thread gone */
    }
  }
  return out;
}

async function measure(label: string, url: string, headers: Record<string, string> | undefined, roots: Record<string, number>): Promise<void> {
  const opts = { connections: Number(process.env.BENCH_CONNECTIONS ?? 64), durationS: Number(process.env.BENCH_DURATION_S ?? 10), warmupS: 2 };
  await runLoad("wrk", { ...opts, durationS: 2, warmupS: 0, url, headers });
  const pid = roots[label === "bare proxy" ? "bare" : "datahub"]!;
  const threadsBefore = threadTicks(pid);
  const before = classify(readProcs(), roots);
  // BENCH_STRACE=1 counts the system calls of the process under test (slows it; read counts only).
  // BENCH_PERF=1 samples the process under test with perf (report: perf report -i /tmp/datahub.perf --sort tid,dso).
  const perfRec = process.env.BENCH_PERF === "1" ? spawn("perf", ["record", ...(process.env.BENCH_PERF_G === "1" ? ["-g"] : []), "-F", "499", "-o", `/tmp/${label === "bare proxy" ? "bare" : "datahub"}.perf`, "-p", String(pid)], { stdio: ["ignore", "ignore", "inherit"] }) : undefined;
  const traced = process.env.BENCH_STRACE === "1" ? spawn("strace", ["-c", "-f", "-p", String(roots[label === "bare proxy" ? "bare" : "datahub"])], { stdio: ["ignore", "inherit", "inherit"] }) : undefined;
  const r = await runLoad("wrk", { ...opts, warmupS: 0, url, headers });
  if (perfRec) { perfRec.kill("SIGINT"); await new Promise((res) => perfRec.once("exit", res)); }
  if (traced) { traced.kill("SIGINT"); await new Promise((res) => traced.once("exit", res)); }
  const after = classify(readProcs(), roots);
  const threadsAfter = threadTicks(pid);
  const rows = Object.keys(after)
    .map((k) => [k, ((after[k]! - (before[k] ?? 0)) * TICK_US) / r.requests] as const)
    .filter(([, us]) => us > 0.5)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, [, us]) => a + us, 0);
  console.log(`\n${label}: ${Math.round(r.requestsPerSec)} req/s, ${r.requests} requests, non-2xx ${r.non2xx}`);
  for (const [k, us] of rows) console.log(`  ${k.padEnd(10)} ${us.toFixed(0).padStart(6)} µs CPU/request`);
  console.log(`  ${"total".padEnd(10)} ${total.toFixed(0).padStart(6)} µs CPU/request`);
  if (process.env.BENCH_THREADS === "1") {
    for (const [t, ticks] of threadsAfter) {
      const us = ((ticks - (threadsBefore.get(t) ?? 0)) * TICK_US) / r.requests;
      if (us > 0.5) console.log(`    thread ${t.padEnd(24)} ${us.toFixed(0).padStart(6)} µs CPU/request`);
    }
  }
}

async function main(): Promise<void> {
  const up = await spawnChild("upstream", process.execPath, ["--import", "tsx", script("./upstream.ts")], { ready: /^READY (\d+)/ });
  const upstreamUrl = `http://127.0.0.1:${up.match![1]}`;
  const bare = await spawnChild("bare proxy", process.execPath, [...(process.env.BENCH_BARE_NODE_ARGS ?? "").split(" ").filter(Boolean), "--import", "tsx", script("./bare-proxy.ts"), upstreamUrl], { ready: /^READY (\d+)/ });
  const env = await prepareStackEnv(upstreamUrl);
  try {
    await migrateStack(env);
    const stack = await startAllInOne(env);
    const key = await createBenchKey(stack, env, "cpu");
    const roots = { upstream: up.child.proc.pid!, bare: bare.child.proc.pid!, datahub: stack.processes[0]!.proc.pid! };
    await measure("bare proxy", `http://127.0.0.1:${bare.match![1]}/bench/item`, undefined, roots);
    await measure("DataHub", `${stack.edgeUrl}/bench/item`, { Authorization: `Bearer ${key.key}` }, roots);
    await stack.stop();
  } finally {
    await env.cleanup();
    await stopAll();
  }
}

await main();
