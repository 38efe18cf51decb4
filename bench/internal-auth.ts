/**
 * What the internal gRPC credential check costs (docs/security.md, "Internal gRPC"):
 *   node --import tsx bench/internal-auth.ts
 * (1) one check in isolation: `judgeCaller` for the internal token (a SHA-256 and two constant-time
 *     compares) and for an API key the key cache holds (its SHA-256 and a cache hit), ns per check;
 * (2) how often the hot path pays it: the all-in-one stack under the bench load (a valid key, an
 *     exact limit that never trips, every request logged), credential checks
 *     (`datahub_grpc_server_auth_total`) per proxied request, from /metrics before and after.
 * Part of `npm run bench` (section "internal-auth"); run alone it writes the same section of
 * docs/benchmarks.md ("Internal gRPC credentials") unless BENCH_NO_WRITE=1.
 * Env: BENCH_DURATION_S (10), BENCH_CONNECTIONS (64).
 */
import { fileURLToPath } from "node:url";
import { auth } from "@datahub/proto";
import { create } from "@bufbuild/protobuf";
import { generateApiKey, judgeCaller, KeyCache, TokenSet } from "@datahub/runtime";
import { runMain, spawnChild } from "./children";
import { describeLoad, detectLoadTool, runLoad } from "./load";
import { codeVersion, machineFacts, writeSection } from "./report";
import { createBenchKey, migrateStack, prepareStackEnv, startAllInOne } from "./stack";
import { fmt, markdownTable } from "./stats";

const PATH = "/bench/item";
const VERIFY = "/datahub.auth.v1.AuthService/VerifyKey";
const script = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Nanoseconds per call of `fn`, best of five runs of `n` calls (the machine is shared). */
function nsPerCall(fn: () => unknown, n = 200_000): number {
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

function isolated(): Array<[string, number]> {
  const token = "bench-internal-token-0123456789abcdefghijklmnop";
  const tokens = new TokenSet([token, `${token}-previous`]);
  const key = generateApiKey();
  const cache = new KeyCache({
    verify: async () => create(auth.VerifyKeyResponseSchema, { valid: true, keyId: "k", orgId: "o", scopes: ["auth:verify"], code: auth.VerifyCode.VALID }),
    ttlMs: 3_600_000,
    negativeTtlMs: 1000,
    staleTtlMs: 3_600_000,
    size: 10,
  });
  return [
    ["internal token (two accepted values)", nsPerCall(() => judgeCaller(VERIFY, token, tokens, undefined))],
    ["wrong token", nsPerCall(() => judgeCaller(VERIFY, `${token}x`, tokens, undefined))],
    ["API key held by the key cache", nsPerCall(() => judgeCaller(VERIFY, key, tokens, (k) => cache.lookup(k)))],
  ];
}

async function sumOf(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

/** Measures both parts; returns the section's markdown, or null when wrk is missing. */
export async function runInternalAuthSection(): Promise<string | null> {
  const tool = await detectLoadTool();
  if (tool !== "wrk") {
    console.error("the internal-auth bench needs wrk (sudo apt-get install -y wrk)");
    return null;
  }
  // Warm the key cache first so the isolated rows measure hits (the first lookup is a miss).
  const perCheck = isolated();
  await new Promise((r) => setTimeout(r, 10));
  perCheck.splice(0, perCheck.length, ...isolated());

  const load = { connections: Number(process.env.BENCH_CONNECTIONS ?? 64), durationS: Number(process.env.BENCH_DURATION_S ?? 10), warmupS: 2 };
  const up = await spawnChild("upstream", process.execPath, ["--import", "tsx", script("./upstream.ts")], { ready: /^READY (\d+)/ });
  const env = await prepareStackEnv(`http://127.0.0.1:${up.match![1]}`);
  let checks = 0;
  let requests = 0;
  let non2xx = 0;
  try {
    await migrateStack(env);
    const stack = await startAllInOne(env);
    try {
      const key = await createBenchKey(stack, env, "internal-auth");
      const headers = { Authorization: `Bearer ${key.key}` };
      await runLoad(tool, { ...load, durationS: load.warmupS, warmupS: 0, url: `${stack.edgeUrl}${PATH}`, headers });
      const checks0 = await sumOf(stack.edgeMetricsUrl, "datahub_grpc_server_auth_total");
      const res = await runLoad(tool, { ...load, warmupS: 0, url: `${stack.edgeUrl}${PATH}`, headers });
      checks = (await sumOf(stack.edgeMetricsUrl, "datahub_grpc_server_auth_total")) - checks0;
      requests = res.requests;
      non2xx = res.non2xx;
    } finally {
      await stack.stop();
    }
  } finally {
    await env.cleanup();
    await up.child.stop();
  }
  const body = [
    `Command: \`BENCH_SECTIONS=internal-auth npm run bench\` (or \`node --import tsx bench/internal-auth.ts\`), ${codeVersion()}. Machine: ${await machineFacts()}.`,
    "",
    markdownTable(["one credential check (`judgeCaller`)", "ns per check (best of 5 × 200,000)"], perCheck.map(([name, ns]) => [name, fmt(ns)])),
    "",
    markdownTable(
      ["hot path: all-in-one stack, bench route", "value"],
      [
        ["load", describeLoad(tool, load)],
        ["proxied requests (non-2xx)", `${fmt(requests)} (${fmt(non2xx)})`],
        ["credential checks on the gRPC port meanwhile", fmt(checks)],
        ["checks per request", requests > 0 ? (checks / requests).toExponential(1) : "-"],
      ],
    ),
  ].join("\n");
  return body;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const body = await runInternalAuthSection();
    if (body === null) return 2;
    console.log(body);
    if (process.env.BENCH_NO_WRITE !== "1") console.log(`\nwrote ${await writeSection("Internal gRPC credentials", body)}`);
    return 0;
  });
}
