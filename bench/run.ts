/**
 * `npm run bench` (docs/benchmarks.md): one run on one machine, side by side —
 *   upstream alone · bare node:http + undici proxy · the DIY peer (fastify, Redis limit, batched
 *   PostgreSQL logs: bench/peer-fastify.ts) · DataHub full pipeline · DataHub split —
 * with the same load tool and settings for every row; prints the table, the targets (process CPU
 * per request ≤ 1.8× the bare proxy's, throughput ≥ 0.55× the bare proxy's and ≥ 1.5× the peer's,
 * zero non-2xx), the "every request logged" check, and writes them to docs/benchmarks.md ("Full pipeline").
 * Every target stays up and the rows take turns for BENCH_ROUNDS rounds, so drift of the machine's
 * speed hits every row alike.
 * Then the "Rate-limit algorithms" section (bench/ratelimit-algorithms.ts): each algorithm's cost,
 * and the "Webhook delivery" section (bench/webhooks.ts): deliveries/s and publish→receipt latency.
 * Then the "Internal gRPC credentials" section (bench/internal-auth.ts): one credential check, and
 * credential checks per proxied request under load.
 * Then the "Held connections" section (bench/connections.ts): one edge holding BENCH_HELD_CONNECTIONS
 * (50,000) idle keep-alive connections, its RSS, and request latency meanwhile.
 * Env: BENCH_SECTIONS=pipeline,algorithms,webhooks,internal-auth,connections (all), BENCH_DURATION_S (10, per round), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64), BENCH_WARMUP_S (2),
 *      BENCH_ONLY=upstream,bare,peer,datahub,split,traced (all but traced), BENCH_NO_WRITE=1, BENCH_ECHO=1 (child output),
 *      BENCH_OTEL=1: adds the "traced" row (all-in-one with OpenTelemetry at 100 % sampling, exporting
 *      to a local no-op OTLP sink) and writes the "Tracing overhead" section instead of "Full pipeline",
 *      BENCH_NODE_OPTIONS: NODE_OPTIONS for every Node.js process the bench starts (default: the
 *      Dockerfile's, as DataHub is deployed; "" for Node's defaults).
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { generateApiKey } from "@datahub/runtime";
import { runMain, spawnChild } from "./children";
import { detectLoadTool, describeLoad, LOAD_TOOL_HINT, runLoad, type LoadResult } from "./load";
import { checkEveryRequestLogged, type AuditCheck } from "./audit-check";
import { BENCH_ROUTE, cliAvailable, CLI, createBenchKey, migrateStack, prepareStackEnv, startAllInOne, startSplit } from "./stack";
import { codeVersion, machineFacts, pipelineTable, writeSection, type PipelineRow } from "./report";
import { fmt } from "./stats";
import { classify, perRequest, readProcs, type Groups } from "./proc-cpu";
import { runAlgorithmsSection } from "./ratelimit-algorithms";
import { runWebhooksSection } from "./webhooks";
import { runInternalAuthSection } from "./internal-auth";
import { runConnectionsSection } from "./connections";

/** The targets the full pipeline is judged on (medians of per-round ratios; docs/benchmarks.md). */
const TARGET = { cpuVsBare: 1.8, throughputVsBare: 0.55, throughputVsPeer: 1.5 } as const;
const ROWS = ["upstream", "bare", "peer", "datahub", "split", "traced"] as const;
type RowId = (typeof ROWS)[number];
const NAMES: Record<RowId, string> = {
  upstream: "upstream alone",
  bare: "bare proxy",
  peer: "DIY peer (fastify + Redis limit + PostgreSQL logs)",
  datahub: "DataHub full pipeline",
  split: "DataHub split",
  traced: "DataHub + tracing 100 %",
};
const OTEL = process.env.BENCH_OTEL === "1";

function intEnv(name: string, dflt: number): number {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer`);
  return v;
}

function selectedRows(): Set<RowId> {
  const raw = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean) ?? ROWS.filter((r) => r !== "traced" || OTEL);
  const bad = raw.filter((r) => !(ROWS as readonly string[]).includes(r));
  if (bad.length) throw new Error(`BENCH_ONLY: unknown row(s) ${bad.join(", ")}; expected ${ROWS.join(",")}`);
  return new Set(raw as RowId[]);
}

const statusList = (by: Record<string, number>) =>
  Object.entries(by)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}: ${fmt(n)}`)
    .join(", ");
const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const PATH = "/bench/item";

/** Combines the rounds of one row: totals for counts, throughput over the whole time, median latencies. */
function combine(results: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const durationS = sum((r) => r.durationS);
  return {
    tool: results[0]!.tool,
    requests: sum((r) => r.requests),
    durationS,
    requestsPerSec: sum((r) => r.requests) / durationS,
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    non2xx: sum((r) => r.non2xx),
    socketErrors: sum((r) => r.socketErrors),
    warmupRequests: sum((r) => r.warmupRequests ?? 0),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median CPU µs per request of each group, per row: the row's processes, then what it uses. */
function cpuTable(targets: Target[]): string {
  // The load tool runs as a child that exits before the second snapshot: its CPU is not counted.
  const groups = ["upstream", "postgres", "redis", "other"];
  const head = ["row", "own processes", "of which the edge process (split)", "upstream", "PostgreSQL", "Redis", "other", "whole machine (without the load tool)"];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  for (const t of targets.filter((x) => x.cpu.length > 0)) {
    const med = (g: string) => median(t.cpu.map((c) => c[g] ?? 0));
    const own = t.id === "upstream" ? "—" : fmt(median(t.cpu.map(ownCpu)));
    const edge = t.edgePid !== undefined ? fmt(med("edge")) : "—";
    const total = median(t.cpu.map((c) => ownCpu(c) + groups.reduce((a, g) => a + (c[g] ?? 0), 0)));
    lines.push(`| ${NAMES[t.id]} | ${own} | ${edge} | ${groups.map((g) => fmt(med(g))).join(" | ")} | ${fmt(total)} |`);
  }
  return `CPU µs per request (median of the rounds; /proc, user + system). In split mode the edge process's own CPU is what one edge pod costs per request:\n\n${lines.join("\n")}`;
}

/** CPU µs per request of a row's own processes (the edge process and the rest, in split mode). */
const ownCpu = (c: Groups) => (c.row ?? 0) + (c.edge ?? 0);

/** Latency of each row at half its own throughput (autocannon at a fixed overall rate). */
function halfLoadTable(targets: Target[]): string {
  const lines = ["| row | rate (half the row's req/s) | p50 ms | p99 ms | non-2xx |", "| --- | --- | --- | --- | --- |"];
  for (const t of targets.filter((x) => x.halfLoad !== undefined)) {
    const h = t.halfLoad!;
    lines.push(`| ${NAMES[t.id]} | ${fmt(h.requestsPerSec)} | ${h.p50Ms.toFixed(2)} | ${h.p99Ms.toFixed(2)} | ${h.non2xx} |`);
  }
  return `Latency at half load (autocannon, fixed overall rate, same connections):\n\n${lines.join("\n")}`;
}

/** A row under test: where to send load, and how to stop it. */
interface Target {
  id: RowId;
  url: string;
  headers?: Record<string, string>;
  rounds: LoadResult[];
  /** The row's own processes (their trees are its CPU group); none for the upstream row. */
  pids: number[];
  /** Split mode: the edge process, counted apart from the services' processes. */
  edgePid?: number;
  /** CPU µs per request of each group, per round (bench/proc-cpu.ts). */
  cpu: Groups[];
  /** One run at half the row's measured throughput. */
  halfLoad?: LoadResult;
  /** For DataHub rows: checks the audit trail after the last round. */
  audit?: (loadCounted: number) => Promise<AuditCheck>;
  stop(): Promise<void>;
}

async function startTargets(only: Set<RowId>, upstreamUrl: string, notes: string[], cleanups: Array<() => Promise<void>>): Promise<Target[]> {
  const targets: Target[] = [];
  if (only.has("upstream")) targets.push({ id: "upstream", url: `${upstreamUrl}${PATH}`, rounds: [], pids: [], cpu: [], stop: async () => {} });
  if (only.has("bare")) {
    const { child, match: m } = await spawnChild("bare proxy", process.execPath, ["--import", "tsx", script("./bare-proxy.ts"), upstreamUrl], { ready: /^READY (\d+)/ });
    targets.push({ id: "bare", url: `http://127.0.0.1:${m![1]}${PATH}`, rounds: [], pids: [child.proc.pid!], cpu: [], stop: () => child.stop() });
  }
  if (only.has("peer")) {
    try {
      // Its own database (for its request-log table) and a key of the same shape as DataHub's.
      const env = await prepareStackEnv(upstreamUrl);
      cleanups.push(env.cleanup);
      const key = generateApiKey("dh");
      const { child, match: m } = await spawnChild(
        "DIY peer",
        process.execPath,
        ["--import", "tsx", script("./peer-fastify.ts"), upstreamUrl, env.databaseUrl, String(env.baseEnv.REDIS_URL), key],
        { ready: /^READY (\d+)/ },
      );
      targets.push({ id: "peer", url: `http://127.0.0.1:${m![1]}${PATH}`, headers: { Authorization: `Bearer ${key}` }, rounds: [], pids: [child.proc.pid!], cpu: [], stop: () => child.stop() });
    } catch (err) {
      notes.push(`${NAMES.peer} failed: ${(err as Error).message.split("\n").slice(0, 6).join("\n    ")}`);
    }
  }
  const stackRows = (["datahub", "split", "traced"] as const).filter((r) => only.has(r));
  if (stackRows.length && !cliAvailable()) notes.push(`DataHub rows not run: ${CLI} does not exist yet.`);
  for (const id of cliAvailable() ? stackRows : []) {
    try {
      // Each DataHub row gets its own database, Redis prefix and ports, so both can stay up.
      const env = await prepareStackEnv(upstreamUrl);
      cleanups.push(env.cleanup);
      await migrateStack(env);
      if (id === "traced") {
        // Standard OTEL_* only: every request sampled, spans exported to a no-op sink on 127.0.0.1.
        const { child: sink, match: m } = await spawnChild("otlp sink", process.execPath, ["--import", "tsx", script("./otlp-sink.ts")], { ready: /^READY (\d+)/ });
        cleanups.push(() => sink.stop());
        env.baseEnv = { ...env.baseEnv, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${m![1]}`, OTEL_TRACES_SAMPLER: "always_on" };
      }
      const stack = id === "split" ? await startSplit(env) : await startAllInOne(env);
      const key = await createBenchKey(stack, env, id);
      targets.push({
        id,
        url: `${stack.edgeUrl}${PATH}`,
        headers: { Authorization: `Bearer ${key.key}` },
        rounds: [],
        pids: stack.processes.map((p) => p.proc.pid!),
        // startSplit lists the services' process first and the edge's last.
        edgePid: id === "split" ? stack.processes[stack.processes.length - 1]!.proc.pid! : undefined,
        cpu: [],
        audit: (loadCounted) =>
          checkEveryRequestLogged({ databaseUrl: env.databaseUrl, keyId: key.keyId, metricsUrl: stack.edgeMetricsUrl, route: BENCH_ROUTE, loadCounted }),
        stop: () => stack.stop(),
      });
    } catch (err) {
      notes.push(`${NAMES[id]} failed: ${(err as Error).message.split("\n").slice(0, 12).join("\n    ")}`);
    }
  }
  return targets;
}

async function pipelineSection(): Promise<number> {
  const only = selectedRows();
  const tool = await detectLoadTool();
  if (!tool) {
    console.error(LOAD_TOOL_HINT);
    return 2;
  }
  const base = { connections: intEnv("BENCH_CONNECTIONS", 64), durationS: intEnv("BENCH_DURATION_S", 10), warmupS: intEnv("BENCH_WARMUP_S", 2) };
  const roundsWanted = Math.max(1, intEnv("BENCH_ROUNDS", 3));
  const facts = await machineFacts();
  const started = new Date().toISOString();
  console.log(`machine: ${facts}\nload: ${describeLoad(tool, base)}, ${roundsWanted} interleaved round(s) per row\n`);

  const rows: PipelineRow[] = [];
  const audits: Array<{ name: string; audit: AuditCheck }> = [];
  const notes: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const { child: upstream, match } = await spawnChild("upstream", process.execPath, ["--import", "tsx", script("./upstream.ts")], { ready: /^READY (\d+)/ });
  const upstreamUrl = `http://127.0.0.1:${match![1]}`;
  const targets = await startTargets(only, upstreamUrl, notes, cleanups);
  try {
    // Rows take turns, round after round, while every target stays up: this machine's speed drifts
    // by 2x within a minute, and interleaving spreads that drift over every row alike.
    for (let round = 0; round < roundsWanted; round++) {
      for (const t of targets) {
        // Warm up first, so the CPU snapshots frame the measured requests only.
        const warm = round === 0 && base.warmupS > 0 ? await runLoad(tool, { ...base, durationS: base.warmupS, warmupS: 0, url: t.url, headers: t.headers }) : undefined;
        const roots: Record<string, number | number[]> =
          t.edgePid === undefined ? { row: t.pids, upstream: upstream.proc.pid! } : { row: t.pids.filter((p) => p !== t.edgePid), edge: t.edgePid, upstream: upstream.proc.pid! };
        const before = classify(readProcs(), roots);
        const r = await runLoad(tool, { ...base, warmupS: 0, url: t.url, headers: t.headers });
        // The warm-up's requests are logged too: the audit check counts them.
        if (warm !== undefined) r.warmupRequests = (r.warmupRequests ?? 0) + warm.requests;
        t.cpu.push(perRequest(before, classify(readProcs(), roots), r.requests));
        t.rounds.push(r);
        console.log(`round ${round + 1} ${NAMES[t.id]}: ${fmt(r.requestsPerSec)} req/s`);
      }
    }
    // Latency at half load: each row at half its own measured throughput (a fixed rate, so the
    // latency is the pipeline's, not the queue's). autocannon paces it; wrk cannot.
    for (const t of targets.filter((x) => x.id !== "upstream")) {
      const rate = combine(t.rounds).requestsPerSec / 2;
      t.halfLoad = await runLoad("autocannon", { ...base, warmupS: 0, url: t.url, headers: t.headers, rate });
      console.log(`half load ${NAMES[t.id]}: ${fmt(rate)} req/s, p50 ${t.halfLoad.p50Ms} ms, p99 ${t.halfLoad.p99Ms} ms`);
    }
    for (const t of targets) {
      const result = combine(t.rounds);
      rows.push({ name: NAMES[t.id], result });
      if (t.audit) audits.push({ name: NAMES[t.id], audit: await t.audit(result.requests + (result.warmupRequests ?? 0) + (t.halfLoad?.requests ?? 0)) });
    }
  } finally {
    for (const t of targets) await t.stop();
    for (const c of cleanups) await c();
  }
  await upstream.stop();

  const lines: string[] = [];
  let ok = true;
  /** Per-round ratios of a measure of row `a` to row `b`, and their median. */
  const ratios = (a: Target, b: Target, f: (t: Target, i: number) => number) => {
    const per = a.rounds.map((_, i) => f(a, i) / Math.max(1e-9, f(b, i)));
    return { per, median: median(per), text: `per round ${per.map((x) => `${x.toFixed(2)}×`).join(", ")}; median ${median(per).toFixed(2)}×` };
  };
  const rps = (t: Target, i: number) => t.rounds[i]!.requestsPerSec;
  const cpu = (t: Target, i: number) => ownCpu(t.cpu[i]!);
  const bareT = targets.find((t) => t.id === "bare");
  const peerT = targets.find((t) => t.id === "peer");
  for (const t of targets.filter((x) => x.id === "datahub" || x.id === "split")) {
    const r = combine(t.rounds);
    const judged = t.id === "datahub"; // the targets are the all-in-one pipeline's; split is shown beside it
    const verdict = (pass: boolean) => (judged ? (pass ? "PASS" : "FAIL") : "INFO");
    const clean = r.non2xx === 0 && r.socketErrors === 0;
    if (judged) ok &&= clean;
    lines.push(`${verdict(clean)} ${NAMES[t.id]}: ${r.non2xx} non-2xx, ${r.socketErrors} socket errors (target: zero).`);
    if (!bareT) {
      lines.push(`NOT JUDGED ${NAMES[t.id]}: the CPU and throughput targets need the bare proxy row in the same run.`);
      continue;
    }
    const c = ratios(t, bareT, cpu);
    const tb = ratios(t, bareT, rps);
    if (judged) ok &&= c.median <= TARGET.cpuVsBare && tb.median >= TARGET.throughputVsBare;
    lines.push(`${verdict(c.median <= TARGET.cpuVsBare)} ${NAMES[t.id]}: process CPU per request ${c.text} the bare proxy's (target ≤ ${TARGET.cpuVsBare}×).`);
    if (t.edgePid !== undefined) {
      const e = ratios(t, bareT, (x, i) => (x.edgePid !== undefined ? x.cpu[i]!.edge ?? 0 : ownCpu(x.cpu[i]!)));
      lines.push(`INFO ${NAMES[t.id]}: the edge process alone, CPU per request ${e.text} the bare proxy's.`);
    }
    lines.push(`${verdict(tb.median >= TARGET.throughputVsBare)} ${NAMES[t.id]}: throughput ${tb.text} the bare proxy's (target ≥ ${TARGET.throughputVsBare}×).`);
    if (peerT) {
      const tp = ratios(t, peerT, rps);
      if (judged) ok &&= tp.median >= TARGET.throughputVsPeer;
      lines.push(`${verdict(tp.median >= TARGET.throughputVsPeer)} ${NAMES[t.id]}: throughput ${tp.text} the DIY peer's (target ≥ ${TARGET.throughputVsPeer}×).`);
    }
  }
  if (peerT && bareT) {
    lines.push(`INFO ${NAMES.peer}: throughput ${ratios(peerT, bareT, rps).text} the bare proxy's; process CPU per request ${ratios(peerT, bareT, cpu).text} the bare proxy's.`);
  }
  const traced = targets.find((t) => t.id === "traced");
  const untraced = targets.find((t) => t.id === "datahub");
  if (traced && untraced) {
    // Tracing's cost, judged like the bar: per-round ratios of rows measured a minute apart at most.
    const perRound = traced.rounds.map((t, i) => t.requestsPerSec / untraced.rounds[i]!.requestsPerSec);
    const a = combine(untraced.rounds);
    const b = combine(traced.rounds);
    lines.push(
      `INFO tracing at 100 % sampling: per round ${perRound.map((x) => `${fmt(100 * x)} %`).join(", ")}; median ${fmt(100 * median(perRound))} % of the untraced pipeline's throughput; ` +
        `p50 ${fmt(a.p50Ms)} → ${fmt(b.p50Ms)} ms, p99 ${fmt(a.p99Ms)} → ${fmt(b.p99Ms)} ms.`,
    );
  }
  for (const { name, audit: a } of audits) {
    ok &&= a.pass;
    lines.push(
      `${a.pass ? "PASS" : "FAIL"} ${name}, every request logged: audit.request_logs holds ${fmt(a.auditRows)} rows for the bench key; ` +
        `the edge answered ${fmt(a.edgeAnswered)} on route "${BENCH_ROUTE}" (by status: ${statusList(a.edgeByStatus)}); the load tools counted ${fmt(a.loadCounted)} (warm-up and half-load run included).`,
    );
  }
  if (notes.length) ok = false;
  notes.push(`1-minute load average at the end: ${os.loadavg()[0]!.toFixed(2)} (other work on the machine lowers every row).`);
  const table = pipelineTable(rows) + "\n\n" + cpuTable(targets) + "\n\n" + halfLoadTable(targets);
  console.log(`${table}\n\n${[...lines, ...notes.map((n) => `NOTE ${n}`)].join("\n")}`);

  if (process.env.BENCH_NO_WRITE !== "1") {
    const body = [
      `Command: \`npm run bench\` (BENCH_ONLY=${[...only].join(",")}), run ${started}, ${codeVersion()}.`,
      `Machine: ${facts}. Every process on 127.0.0.1; DataHub with LOG_LEVEL=warn, one route \`/\` requiring a scope, with a Redis sliding-log limit of 100,000 per second per key (never reached).`,
      `Load: ${describeLoad(tool, base)}; ${roundsWanted} interleaved rounds per row (the table sums them; the targets are judged on the median of per-round ratios); path \`${PATH}\`; the upstream answers a 54-byte JSON body.`,
      "",
      table,
      "",
      ...lines.map((l) => `- ${l}`),
      ...notes.map((n) => `- NOTE ${n}`),
    ].join("\n");
    console.log(`\nwrote ${await writeSection(only.has("traced") ? "Tracing overhead" : "Full pipeline", body)}`);
  }
  return ok ? 0 : 1;
}

const SECTIONS = ["pipeline", "algorithms", "webhooks", "internal-auth", "connections"] as const;

/** BENCH_SECTIONS=pipeline,algorithms,webhooks,internal-auth (default: all): which sections of docs/benchmarks.md to run. */
function selectedSections(): Set<string> {
  const raw = process.env.BENCH_SECTIONS?.split(",").map((s) => s.trim()).filter(Boolean) ?? [...SECTIONS];
  const bad = raw.filter((r) => !(SECTIONS as readonly string[]).includes(r));
  if (bad.length) throw new Error(`BENCH_SECTIONS: unknown ${bad.join(", ")}; expected ${SECTIONS.join(",")}`);
  return new Set(raw);
}

async function main(): Promise<number> {
  const sections = selectedSections();
  let code = 0;
  if (sections.has("pipeline")) code = await pipelineSection();
  if (sections.has("algorithms")) {
    console.log("");
    const body = await runAlgorithmsSection();
    if (body === null) return 2;
    console.log(`\n${body}`);
    if (process.env.BENCH_NO_WRITE !== "1") console.log(`\nwrote ${await writeSection("Rate-limit algorithms", body)}`);
  }
  if (sections.has("webhooks")) {
    console.log("");
    const body = await runWebhooksSection();
    console.log(`\n${body}`);
    if (process.env.BENCH_NO_WRITE !== "1") console.log(`\nwrote ${await writeSection("Webhook delivery", body)}`);
  }
  if (sections.has("internal-auth")) {
    console.log("");
    const body = await runInternalAuthSection();
    if (body === null) return 2;
    console.log(`\n${body}`);
    if (process.env.BENCH_NO_WRITE !== "1") console.log(`\nwrote ${await writeSection("Internal gRPC credentials", body)}`);
  }
  if (sections.has("connections")) {
    console.log("");
    const body = await runConnectionsSection();
    console.log(`\n${body}`);
    if (process.env.BENCH_NO_WRITE !== "1") console.log(`\nwrote ${await writeSection("Held connections", body)}`);
  }
  return code;
}

runMain(main);
