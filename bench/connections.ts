/**
 * "Held connections" (docs/benchmarks.md): one DataHub edge process (all in one) holds many idle
 * keep-alive connections — the seed's target is 50,000 — while requests keep being answered on
 * another connection. Reports the edge process's RSS before and after, memory per connection,
 * and the latency of keyed proxied requests made while the connections are held.
 *
 * The count is BENCH_HELD_CONNECTIONS (default 50,000), capped by the open-file limit: the edge
 * and the holders each need a descriptor per connection, and a limit that a process cannot raise
 * (a sandbox's hard NOFILE) is reported, not worked around.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { spawnChild } from "./children";
import { codeVersion, machineFacts } from "./report";
import { createBenchKey, migrateStack, prepareStackEnv, startAllInOne } from "./stack";
import { fmt } from "./stats";

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));
/** Connections per holder process, under its own descriptor limit. */
const PER_HOLDER = 8_000;

/** The hard open-file limit of this process (children inherit it). */
function hardNofile(): number {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
  const hard = line?.trim().split(/\s+/)[4];
  return hard === undefined || hard === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(hard);
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb ?? 0) / 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs the section; returns its markdown body. */
export async function runConnectionsSection(): Promise<string> {
  const wanted = Number(process.env.BENCH_HELD_CONNECTIONS ?? 50_000);
  const limit = hardNofile();
  // The edge holds every connection plus its own pools, files and the measuring connection.
  const held = Math.min(wanted, limit - 1_000);
  const up = await spawnChild("upstream", process.execPath, ["--import", "tsx", script("./upstream.ts")], { ready: /^READY (\d+)/ });
  const env = await prepareStackEnv(`http://127.0.0.1:${up.match![1]}`);
  // Held connections are idle for the whole section: keep-alive must outlast it.
  env.baseEnv = { ...env.baseEnv, DATAHUB_KEEPALIVE_TIMEOUT_MS: "600000", DATAHUB_REQUEST_TIMEOUT_MS: "600000" };
  const holders: Array<Awaited<ReturnType<typeof spawnChild>>> = [];
  let lines: string[] = [];
  try {
    await migrateStack(env);
    const stack = await startAllInOne(env);
    try {
      const edgePid = stack.processes[0]!.proc.pid!;
      const key = await createBenchKey(stack, env, "connections");
      const url = `${stack.edgeUrl}/bench/item`;
      const measure = async (n: number) => {
        const ms: number[] = [];
        let failed = 0;
        for (let i = 0; i < n; i++) {
          const t0 = process.hrtime.bigint();
          const r = await request(url, { headers: { authorization: `Bearer ${key.key}` } });
          await r.body.text();
          if (r.statusCode !== 200) failed++;
          ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        ms.sort((a, b) => a - b);
        return { p50: percentile(ms, 50), p99: percentile(ms, 99), failed };
      };
      await measure(200);
      const idle = await measure(500);
      const rssBefore = rssMiB(edgePid);
      const port = new URL(stack.edgeUrl).port;
      const started = Date.now();
      for (let i = 0, octet = 2; i < held; i += PER_HOLDER, octet++) {
        const n = Math.min(PER_HOLDER, held - i);
        holders.push(await spawnChild(`holder ${octet}`, process.execPath, ["--import", "tsx", script("./conn-holder.ts"), port, String(n), String(octet)], { ready: /^HELD (\d+)/, readyTimeoutMs: 120_000 }));
      }
      const openMs = Date.now() - started;
      const busy = await measure(500);
      const rssAfter = rssMiB(edgePid);
      const ready = await (await fetch(`${stack.edgeUrl}/readyz`)).json();
      lines = [
        `Command: \`BENCH_SECTIONS=connections npm run bench\`, ${codeVersion()}. Machine: ${await machineFacts()}.`,
        `Open-file limit (hard) of this machine: ${limit === Number.MAX_SAFE_INTEGER ? "unlimited" : fmt(limit)}; connections wanted: ${fmt(wanted)}; held: **${fmt(held)}**${held < wanted ? " (capped by the limit: the edge needs a descriptor per connection)" : ""}.`,
        "",
        "| | value |",
        "| --- | --- |",
        `| connections held by one edge process (all in one) | ${fmt(held)}, opened in ${fmt(openMs / 1000)} s, each after one \`GET /healthz\` |`,
        `| edge RSS before → with them | ${fmt(rssBefore)} MiB → ${fmt(rssAfter)} MiB (${fmt(((rssAfter - rssBefore) * 1024) / held)} KiB per connection) |`,
        `| keyed proxied request, one at a time, nothing held | p50 ${idle.p50.toFixed(2)} ms, p99 ${idle.p99.toFixed(2)} ms, ${idle.failed} failed of 500 |`,
        `| the same while the connections are held | p50 ${busy.p50.toFixed(2)} ms, p99 ${busy.p99.toFixed(2)} ms, ${busy.failed} failed of 500 |`,
        `| /readyz while held | ${JSON.stringify(ready)} |`,
      ];
    } finally {
      for (const h of holders) await h.child.stop();
      await stack.stop();
    }
  } finally {
    await env.cleanup();
    await up.child.stop();
  }
  return lines.join("\n");
}
