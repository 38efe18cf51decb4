/**
 * Measures the unary RPC stacks DataHub could use between the edge and its services:
 *   node --import tsx bench/rpc-transport.ts
 * (a) @grpc/grpc-js client → grpc-js server (the runtime's createRpcClient and GrpcHost),
 * (b) connect-node gRPC client → the same grpc-js server,
 * (c) connect-node gRPC client → connect-node server (connectNodeAdapter on node:http2),
 * (d) the grpc-js client's exchange stream (CheckBatchStream: each call one message pair on an open
 *     stream) → the same grpc-js server — what the edge's hot path uses.
 * Each with the same protobuf-es messages — a Check with one descriptor, and (on the exchange
 * stream, the only way a batch travels since the unary CheckBatch was removed) a batch of 64
 * groups — 64 calls in flight (throughput) and one at a time (latency). The server runs in a child
 * process on 127.0.0.1; RPC_BENCH_SECONDS (default 4) bounds each measurement, RPC_BENCH_ROUNDS
 * (default 2) repeats the interleaved cases and keeps the best of each (the machine is shared).
 * Writes the table into docs/benchmarks.md under "gRPC transport" unless RPC_BENCH_NO_WRITE=1.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { fromJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ratelimit } from "@datahub/proto";
import { createRpcClient } from "@datahub/runtime";
import { spawnChild } from "./children";
import { fmt, markdownTable, quantile } from "./stats";
import { codeVersion, machineFacts, writeSection } from "./report";

const SECONDS = Number(process.env.RPC_BENCH_SECONDS ?? 4);
const IN_FLIGHT = 64;
const BATCH_GROUPS = 64;
const ROUNDS = Number(process.env.RPC_BENCH_ROUNDS ?? 2);

// Built from JSON so the bench compiles whether 64-bit fields are generated as number or bigint.
function descriptor(i: number) {
  return { key: `{k:dh_bench${i}}:route:/`, limit: 10_000, windowMs: 1000, cost: 1, algorithm: "ALGORITHM_SLIDING_LOG" };
}
const CHECK = fromJson(ratelimit.CheckRequestSchema, { descriptors: [descriptor(0)] });
const BATCH = fromJson(ratelimit.CheckBatchRequestSchema, {
  requests: Array.from({ length: BATCH_GROUPS }, (_, i) => ({ descriptors: [descriptor(i)] })),
});

/** One call of each payload through some client stack. */
interface Caller {
  check(): Promise<unknown>;
  /** Exchange streams only: unary stacks have no batch method. */
  batch?(): Promise<unknown>;
  close(): void;
}

/** The internal token the spawned grpc-js server accepts (the connect server ignores it). */
const TOKEN = randomBytes(32).toString("base64url");
const credentials = { bearer: TOKEN };

function grpcJsCaller(port: number): Caller {
  const c = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${port}`, { timeoutMs: 5000, credentials });
  return { check: () => c.check(CHECK), close: () => c.close() };
}

/** The edge's hot path: each call one exchange on the CheckBatchStream stream (runtime's grpc/exchange/). */
function grpcJsStreamCaller(port: number): Caller {
  const c = createRpcClient(ratelimit.RateLimitService, `127.0.0.1:${port}`, { timeoutMs: 5000, credentials });
  return {
    check: () => c.checkBatchStream({ requests: [CHECK] }),
    batch: () => c.checkBatchStream(BATCH),
    close: () => c.close(),
  };
}

function connectCaller(port: number): Caller {
  const c = createClient(ratelimit.RateLimitService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return { check: () => c.check(CHECK, { timeoutMs: 5000 }), close: () => {} };
}

interface Result {
  callsPerSec: number;
  cpuUsPerCall: number;
  p50Ms: number;
  p99Ms: number;
}

/** `IN_FLIGHT` workers calling back to back for `seconds`; counts completions and client CPU. */
async function throughput(call: () => Promise<unknown>, seconds: number): Promise<{ callsPerSec: number; cpuUsPerCall: number }> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < until) {
        await call();
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { callsPerSec: done / elapsed, cpuUsPerCall: (cpu.user + cpu.system) / done };
}

/** One call at a time for `seconds`; per-call latency in ms. */
async function latency(call: () => Promise<unknown>, seconds: number): Promise<number[]> {
  const until = performance.now() + seconds * 1000;
  const out: number[] = [];
  while (performance.now() < until) {
    const t = performance.now();
    await call();
    out.push(performance.now() - t);
  }
  return out;
}

async function measure(call: () => Promise<unknown>): Promise<Result> {
  await latency(call, 0.5); // warm-up: connection, JIT
  const tp = await throughput(call, SECONDS);
  const lat = await latency(call, SECONDS / 2);
  return { ...tp, p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99) };
}

const CASES = [
  { id: "a", label: "grpc-js client → grpc-js server", server: "grpc-js", client: grpcJsCaller },
  { id: "b", label: "connect-node client → grpc-js server", server: "grpc-js", client: connectCaller },
  { id: "c", label: "connect-node client → connect-node server", server: "connect", client: connectCaller },
  // Same payloads as exchanges on one open stream: "Check ×1" is a CheckBatch of one group.
  { id: "d", label: "grpc-js exchange stream → grpc-js server", server: "grpc-js", client: grpcJsStreamCaller },
] as const;

/** Per (case, payload): the best of the rounds (highest calls/s, lowest latencies, lowest CPU). */
function best(a: Result | undefined, b: Result): Result {
  if (!a) return b;
  return {
    callsPerSec: Math.max(a.callsPerSec, b.callsPerSec),
    cpuUsPerCall: Math.min(a.cpuUsPerCall, b.cpuUsPerCall),
    p50Ms: Math.min(a.p50Ms, b.p50Ms),
    p99Ms: Math.min(a.p99Ms, b.p99Ms),
  };
}

async function main(): Promise<void> {
  const facts = await machineFacts();
  const results = new Map<string, Result>();
  const serverScript = fileURLToPath(new URL("./rpc-server.ts", import.meta.url));
  // Rounds interleave the cases so that noise from other work on the machine hits every case.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CASES) {
      // A fresh server per case, so no case inherits another's warm state or connections.
      const { child, match } = await spawnChild(`rpc-server ${c.server}`, process.execPath, ["--import", "tsx", serverScript, c.server], {
        ready: /^READY (\d+)/,
        env: { ...process.env, DATAHUB_INTERNAL_TOKEN: TOKEN },
      });
      const caller = c.client(Number(match![1]));
      try {
        for (const [payload, call] of [["Check ×1", caller.check], [`CheckBatch ×${BATCH_GROUPS}`, caller.batch]] as const) {
          if (call === undefined) continue;
          const r = await measure(call);
          const id = `(${c.id}) ${c.label}\t${payload}`;
          results.set(id, best(results.get(id), r));
          console.log(`round ${round}  ${id.replace("\t", "  |  ")}  |  ${fmt(r.callsPerSec)} calls/s  |  ${fmt(r.cpuUsPerCall)} µs CPU/call  |  p50 ${fmt(r.p50Ms, 2)} ms  |  p99 ${fmt(r.p99Ms, 2)} ms`);
        }
      } finally {
        caller.close();
        await child.stop();
      }
    }
  }
  const rows = [...results].map(([id, r]) => [...id.split("\t"), fmt(r.callsPerSec), fmt(r.cpuUsPerCall), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2)]);
  const table = markdownTable(
    ["case", "payload", `calls/s (${IN_FLIGHT} in flight)`, "client CPU µs/call", "sequential p50 ms", "sequential p99 ms"],
    rows,
  );
  console.log(`\n${table}`);
  if (process.env.RPC_BENCH_NO_WRITE !== "1") {
    const body = [
      `Command: \`node --import tsx bench/rpc-transport.ts\` (RPC_BENCH_SECONDS=${SECONDS}, RPC_BENCH_ROUNDS=${ROUNDS}), run ${new Date().toISOString()}, ${codeVersion()}.`,
      `Machine: ${facts}. Server in a child process on 127.0.0.1, one client connection, handler without I/O.`,
      `Each cell is the best of ${ROUNDS} interleaved rounds; each round: 0.5 s warm-up, ${SECONDS} s with ${IN_FLIGHT} calls in flight, ${SECONDS / 2} s sequential.`,
      "",
      table,
    ].join("\n");
    const path = await writeSection("gRPC transport", body);
    console.log(`\nwrote ${path} (section "gRPC transport"; the conclusion paragraph is kept)`);
  }
}

await main();
