/**
 * The DIY peer: the gateway a Node team would build itself — fastify + @fastify/http-proxy +
 * @fastify/rate-limit on Redis, API keys checked against an in-memory map of SHA-256 hashes, and
 * every request logged to PostgreSQL in batches (one multi-row INSERT per 100 ms or 1,000 rows).
 * The same work as DataHub's bench row (a valid key, a Redis limit that never trips, a log row
 * per request), without DataHub's services, gRPC or observability. Run as its own process:
 *   node --import tsx bench/peer-fastify.ts <upstream-url> <database-url> <redis-url> <api-key>
 * Prints `READY <port>`.
 */
import { createHash, randomUUID } from "node:crypto";
import Fastify from "fastify";
import proxy from "@fastify/http-proxy";
import rateLimit from "@fastify/rate-limit";
import { Redis } from "ioredis";
import pg from "pg";

const [upstream, databaseUrl, redisUrl, apiKey] = process.argv.slice(2);
if (!upstream || !databaseUrl || !redisUrl || !apiKey) {
  console.error("usage: peer-fastify.ts <upstream-url> <database-url> <redis-url> <api-key>");
  process.exit(2);
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const keys = new Map([[sha256(apiKey), "bench-key"]]);

const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
await pool.query(
  "CREATE TABLE IF NOT EXISTS peer_request_logs (request_id uuid, ts timestamptz, method text, path text, status int, duration_ms double precision, key_id text)",
);
type Row = [string, Date, string, string, number, number, string];
let rows: Row[] = [];
async function flush(): Promise<void> {
  if (rows.length === 0) return;
  const batch = rows;
  rows = [];
  const cols = batch[0]!.map((_, i) => batch.map((r) => r[i]));
  await pool
    .query(
      "INSERT INTO peer_request_logs SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::int[], $6::float8[], $7::text[])",
      cols,
    )
    .catch((err: Error) => console.error(`log insert failed: ${err.message}`));
}
setInterval(() => void flush(), 100).unref();

const app = Fastify({ logger: false });
await app.register(rateLimit, {
  max: 100_000,
  timeWindow: 1000,
  redis: new Redis(redisUrl, { keyPrefix: `peer_${process.pid}:` }),
  // After the key check (onRequest), so the limit is per key.
  hook: "preHandler",
  keyGenerator: (req) => (req as unknown as { keyId: string }).keyId,
});
app.addHook("onRequest", async (req, reply) => {
  const h = req.headers.authorization;
  const keyId = h?.startsWith("Bearer ") ? keys.get(sha256(h.slice(7))) : undefined;
  if (keyId === undefined) return reply.code(401).send({ error: "unauthorized" });
  (req as unknown as { keyId: string }).keyId = keyId;
});
app.addHook("onResponse", async (req, reply) => {
  rows.push([randomUUID(), new Date(), req.method, req.url.split("?")[0]!, reply.statusCode, reply.elapsedTime, (req as unknown as { keyId?: string }).keyId ?? ""]);
  if (rows.length >= 1000) void flush();
});
await app.register(proxy, { upstream, prefix: "/" });
const address = await app.listen({ host: "127.0.0.1", port: Number(process.argv[6] ?? 0) });
console.log(`READY ${new URL(address).port}`);
process.on("SIGTERM", () => void app.close().then(flush).then(() => pool.end()).then(() => process.exit(0)));
