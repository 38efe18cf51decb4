/**
 * A measuring instrument, not a deployment mode: the least work any implementation of DataHub's
 * pipeline has to do per request, in one process with no gRPC hops, so the bench can show how much
 * of the gap to the bare proxy is the dependencies' own work on this machine.
 *
 *   node --import tsx bench/floor-proxy.ts <upstream-url> <layers>
 *
 * `layers` is a comma list of what to add to bench/bare-proxy.ts's proxy:
 *   auth  — API key from `Authorization: Bearer`, SHA-256, lookup in an in-memory map (FLOOR_KEY)
 *   redis — the bench route's limit, checked through DataHub's own RedisRateLimiter (same Lua,
 *           same coalescing), one call per event-loop turn for every request of that turn
 *   pg    — every request appended to audit.request_logs through DataHub's own PgLogStore
 *           (same SQL, usage rollups included), batched every 100 ms
 *   grpc  — redis and pg go through DataHub's ratelimit and audit services over gRPC instead
 *           (a CheckBatch exchange per turn, an AppendLogs exchange every 100 ms, on the same
 *           exchange streams the edge uses, at FLOOR_GRPC_ADDR)
 * Env: FLOOR_KEY (the key auth accepts), DATABASE_URL, REDIS_URL, DATAHUB_REDIS_PREFIX,
 * FLOOR_KEY_ID, FLOOR_ORG_ID, FLOOR_GRPC_ADDR. Prints `READY <port>`.
 */
import http from "node:http";
import { Pool } from "undici";
import pg from "pg";
import { Redis } from "ioredis";
import { createRpcClient, hashApiKey } from "@datahub/runtime";
import { audit, ratelimit } from "@datahub/proto";
import { Algorithm, RedisRateLimiter, type DecisionOutput, type DescriptorInput } from "@datahub/ratelimit";
import { PgLogStore, type LogEntry } from "@datahub/audit";

const [upstream, layerList = ""] = process.argv.slice(2);
if (!upstream) {
  console.error("usage: floor-proxy.ts <upstream-url> <auth,redis,pg>");
  process.exit(2);
}
const layers = new Set(layerList.split(",").filter(Boolean));
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required for layers ${layerList}`);
  return v;
};

const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "authorization"]);

const keys = new Map<string, { keyId: string; orgId: string }>();
if (layers.has("auth")) keys.set(hashApiKey(env("FLOOR_KEY")), { keyId: env("FLOOR_KEY_ID"), orgId: env("FLOOR_ORG_ID") });

const viaGrpc = layers.has("grpc");
// The stack's internal token (bench/stack.ts sets it for every process of the run).
const credentials = { bearer: process.env.DATAHUB_INTERNAL_TOKEN };
const ratelimitRpc = createRpcClient(ratelimit.RateLimitService, process.env.FLOOR_GRPC_ADDR ?? "127.0.0.1:1", { timeoutMs: 1000, credentials });
const auditRpc = createRpcClient(audit.AuditService, process.env.FLOOR_GRPC_ADDR ?? "127.0.0.1:1", { timeoutMs: 5000, credentials });

// Rate limiting: every request of one event-loop turn goes to Redis in one script call.
const redisLimiter = layers.has("redis") && !viaGrpc
  ? new RedisRateLimiter({ client: new Redis(env("REDIS_URL"), { enableAutoPipelining: true }) as unknown as ConstructorParameters<typeof RedisRateLimiter>[0]["client"], prefix: env("DATAHUB_REDIS_PREFIX"), maxLogLimit: 100_000, timeoutMs: 1000 })
  : undefined;
const limiter: { check(groups: DescriptorInput[][]): Promise<DecisionOutput[][]> } | undefined = !layers.has("redis")
  ? undefined
  : redisLimiter ?? {
      check: async (groups: DescriptorInput[][]): Promise<DecisionOutput[][]> => {
        const requests = groups.map((g) => ({ descriptors: g.map((d) => ({ key: d.key, limit: BigInt(d.limit), windowMs: BigInt(d.windowMs), cost: BigInt(d.cost), algorithm: d.algorithm })) }));
        const res = await ratelimitRpc.checkBatchStream({ requests });
        return res.responses.map((r) => r.decisions.map((d) => ({ allowed: d.allowed, limit: Number(d.limit), remaining: Number(d.remaining), resetAfterMs: Number(d.resetAfterMs), retryAfterMs: Number(d.retryAfterMs) })));
      },
    };
interface Turn {
  groups: DescriptorInput[][];
  resolvers: Array<(d: DecisionOutput[]) => void>;
}
let turn: Turn | undefined;
function limited(keyId: string): Promise<DecisionOutput[]> {
  if (turn === undefined) {
    const t: Turn = { groups: [], resolvers: [] };
    turn = t;
    setImmediate(() => {
      turn = undefined;
      limiter!.check(t.groups).then(
        (out) => out.forEach((d, i) => t.resolvers[i]!(d)),
        () => t.resolvers.forEach((r) => r([])),
      );
    });
  }
  const t = turn;
  t.groups.push([{ key: `{k:${keyId}}:route:bench`, limit: 100_000, windowMs: 1000, cost: 1, algorithm: Algorithm.SLIDING_LOG }]);
  return new Promise((resolve) => t.resolvers.push(resolve));
}

// Request logs: appended in batches every 100 ms.
const store = !layers.has("pg")
  ? undefined
  : viaGrpc
    ? {
        append: (batch: LogEntry[]) =>
          auditRpc
            .appendLogsStream({ records: batch.map((e) => ({ ...e, timestampMs: BigInt(e.timestampMs), bytesIn: BigInt(e.bytesIn), bytesOut: BigInt(e.bytesOut) })) }),
      }
    : new PgLogStore(new pg.Pool({ connectionString: env("DATABASE_URL"), max: 2 }));
let logs: LogEntry[] = [];
if (store) {
  setInterval(() => {
    if (logs.length === 0) return;
    const batch = logs;
    logs = [];
    store.append(batch).catch((err: Error) => console.error(`append failed: ${err.message}`));
  }, 100).unref();
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, started: number): Promise<void> {
  let principal: { keyId: string; orgId: string } | undefined;
  if (layers.has("auth")) {
    const auth = req.headers.authorization;
    principal = auth?.startsWith("Bearer ") ? keys.get(hashApiKey(auth.slice(7))) : undefined;
    if (principal === undefined) {
      res.writeHead(401).end();
      return;
    }
  }
  if (limiter) {
    const d = await limited(principal?.keyId ?? "anonymous");
    if (d[0] !== undefined && !d[0].allowed) {
      res.writeHead(429).end();
      return;
    }
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  const up = await pool.request({ path: req.url ?? "/", method: (req.method ?? "GET") as "GET", headers });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  res.writeHead(up.statusCode, out);
  for await (const chunk of up.body) res.write(chunk);
  res.end();
  if (store) {
    logs.push({
      requestId: crypto.randomUUID(), timestampMs: started, method: req.method ?? "", path: req.url ?? "/", route: "bench", status: up.statusCode,
      durationMs: Date.now() - started, gatewayMs: 0, keyId: principal?.keyId ?? "", orgId: principal?.orgId ?? "", clientIp: req.socket.remoteAddress ?? "",
      userAgent: req.headers["user-agent"] ?? "", bytesIn: 0, bytesOut: 0, traceId: "", error: "",
    });
  }
}

const server = http.createServer((req, res) => {
  handle(req, res, Date.now()).catch(() => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
process.on("SIGTERM", () => process.exit(0));
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  console.log(`READY ${typeof addr === "object" && addr ? addr.port : 0}`);
});
