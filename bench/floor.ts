/**
 * How far below the bare proxy the pipeline's own dependencies put any implementation on this
 * machine: the bare proxy, bench/floor-proxy.ts with each layer added (key lookup, the Redis limit,
 * Postgres request logs — DataHub's own limiter and log store, in-process, no gRPC), the same through
 * DataHub's ratelimit and audit services over gRPC, and DataHub all in one, in interleaved rounds
 * like `npm run bench`: each row's throughput and its processes' CPU per request from /proc (a `grpc`
 * row counts the DataHub process whose services do its work). Writes the "Pipeline floor" section.
 *
 *   node --import tsx bench/floor.ts
 * Env: BENCH_DURATION_S (8), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64), BENCH_NO_WRITE=1.
 */
import { fileURLToPath } from "node:url";
import { runMain, spawnChild } from "./children";
import { detectLoadTool, describeLoad, runLoad, type LoadResult } from "./load";
import { createBenchKey, migrateStack, prepareStackEnv, startAllInOne } from "./stack";
import { codeVersion, machineFacts, writeSection } from "./report";
import { fmt, markdownTable } from "./stats";
import { classify, perRequest, readProcs } from "./proc-cpu";

const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const PATH = "/bench/item";

interface Row {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** The processes whose CPU is the row's: a `grpc` row's includes the DataHub process whose services do its work. */
  pids: number[];
  rounds: LoadResult[];
  /** CPU µs per request of the row's processes, per round (/proc, user + system). */
  cpu: number[];
  stop(): Promise<void>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<number> {
  const tool = await detectLoadTool();
  if (tool !== "wrk") {
    console.error("bench/floor.ts needs wrk (sudo apt-get install -y wrk)");
    return 2;
  }
  const base = { connections: Number(process.env.BENCH_CONNECTIONS ?? 64), durationS: Number(process.env.BENCH_DURATION_S ?? 8), warmupS: 2 };
  const roundsWanted = Number(process.env.BENCH_ROUNDS ?? 3);
  const facts = await machineFacts();
  const started = new Date().toISOString();
  const up = await spawnChild("upstream", process.execPath, ["--import", "tsx", script("./upstream.ts")], { ready: /^READY (\d+)/ });
  const upstreamUrl = `http://127.0.0.1:${up.match![1]}`;
  const env = await prepareStackEnv(upstreamUrl);
  const rows: Row[] = [];
  try {
    await migrateStack(env);
    const stack = await startAllInOne(env);
    const key = await createBenchKey(stack, env, "floor");
    const auth = { Authorization: `Bearer ${key.key}` };
    const bare = await spawnChild("bare proxy", process.execPath, ["--import", "tsx", script("./bare-proxy.ts"), upstreamUrl], { ready: /^READY (\d+)/ });
    const stackPids = stack.processes.map((p) => p.proc.pid!);
    rows.push({ name: "bare proxy", url: `http://127.0.0.1:${bare.match![1]}${PATH}`, pids: [bare.child.proc.pid!], rounds: [], cpu: [], stop: () => bare.child.stop() });
    for (const layers of (process.env.FLOOR_ROWS ?? "auth,auth+redis,auth+pg,auth+redis+pg,auth+redis+grpc,auth+pg+grpc,auth+redis+pg+grpc").split(",").map((l) => l.replaceAll("+", ","))) {
      const floorEnv = { ...env.baseEnv, FLOOR_KEY: key.key, FLOOR_KEY_ID: key.keyId, FLOOR_ORG_ID: key.orgId, FLOOR_GRPC_ADDR: stack.grpcAddr };
      const f = await spawnChild(`floor ${layers}`, process.execPath, ["--import", "tsx", script("./floor-proxy.ts"), upstreamUrl, layers], { ready: /^READY (\d+)/, env: floorEnv });
      const pids = layers.includes("grpc") ? [f.child.proc.pid!, ...stackPids] : [f.child.proc.pid!];
      rows.push({ name: `floor: bare + ${layers.replaceAll(",", " + ")}`, url: `http://127.0.0.1:${f.match![1]}${PATH}`, headers: auth, pids, rounds: [], cpu: [], stop: () => f.child.stop() });
    }
    rows.push({ name: "DataHub full pipeline (all in one)", url: `${stack.edgeUrl}${PATH}`, headers: auth, pids: stackPids, rounds: [], cpu: [], stop: () => stack.stop() });
    console.log(`machine: ${facts}\nload: ${describeLoad(tool, base)}, ${roundsWanted} interleaved rounds\n`);
    for (let round = 0; round < roundsWanted; round++) {
      for (const r of rows) {
        // Warm up first, so the CPU snapshots frame the measured requests only.
        if (round === 0) await runLoad(tool, { ...base, durationS: base.warmupS, warmupS: 0, url: r.url, headers: r.headers });
        const before = classify(readProcs(), { row: r.pids });
        const res = await runLoad(tool, { ...base, warmupS: 0, url: r.url, headers: r.headers });
        r.cpu.push(perRequest(before, classify(readProcs(), { row: r.pids }), res.requests).row ?? 0);
        r.rounds.push(res);
        console.log(`round ${round + 1} ${r.name}: ${fmt(res.requestsPerSec)} req/s, ${fmt(r.cpu.at(-1)!)} µs CPU/request, non-2xx ${res.non2xx}`);
      }
    }
  } finally {
    for (const r of rows) await r.stop();
    await env.cleanup();
    await up.child.stop();
  }
  const bare = rows[0]!;
  const table = markdownTable(
    ["row", "requests/s (per round)", "non-2xx", "vs bare proxy (per round)", "median", "CPU µs/request (per round)", "CPU vs bare proxy (median of rounds)"],
    rows.map((r) => {
      const ratios = r.rounds.map((x, i) => x.requestsPerSec / bare.rounds[i]!.requestsPerSec);
      const cpuRatios = r.cpu.map((us, i) => us / bare.cpu[i]!);
      return [
        r.name,
        r.rounds.map((x) => fmt(x.requestsPerSec)).join(" / "),
        fmt(r.rounds.reduce((a, x) => a + x.non2xx, 0)),
        ratios.map((x) => `${fmt(100 * x)} %`).join(" / "),
        `**${fmt(100 * median(ratios))} %**`,
        r.cpu.map((us) => fmt(us)).join(" / "),
        `**${median(cpuRatios).toFixed(2)}×**`,
      ];
    }),
  );
  const body = [
    `Command: \`node --import tsx bench/floor.ts\`, run ${started}, ${codeVersion()}.`,
    `Machine: ${facts}. Load: ${describeLoad(tool, base)}; ${roundsWanted} interleaved rounds; every row on the same upstream, Postgres and Redis. CPU: user + system of the row's own processes (a \`grpc\` row's include the DataHub process whose services do its work; Postgres, Redis and the upstream are not counted), per measured round after a 2 s warm-up.`,
    "",
    table,
  ].join("\n");
  console.log(`\n${body}`);
  if (process.env.BENCH_NO_WRITE !== "1") console.log(`\nwrote ${await writeSection("Pipeline floor", body)}`);
  return 0;
}

runMain(main);
