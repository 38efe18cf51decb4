/**
 * The yardstick: the least a Node.js reverse proxy can do, run as its own process:
 *   node --import tsx bench/bare-proxy.ts <upstream-url> [port]
 * node:http in front, an undici Pool (keep-alive connections) behind, headers passed through
 * minus hop-by-hop ones, bodies streamed. No auth, no limits, no logs. Prints `READY <port>`.
 */
import http from "node:http";
import { Pool } from "undici";

const upstream = process.argv[2];
if (!upstream) {
  console.error("usage: bare-proxy.ts <upstream-url> [port]");
  process.exit(2);
}
const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"]);

function forwardHeaders(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const server = http.createServer(async (req, res) => {
  try {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const up = await pool.request({
      path: req.url ?? "/",
      method: (req.method ?? "GET") as "GET",
      headers: forwardHeaders(req.headers),
      body: hasBody ? req : undefined,
    });
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    res.writeHead(up.statusCode, headers);
    for await (const chunk of up.body) res.write(chunk);
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end("bad gateway");
  }
});
server.keepAliveTimeout = 65_000;
// Exit cleanly on SIGTERM so that `--cpu-prof` (BENCH_BARE_NODE_ARGS in bench/cpu-account.ts) writes its profile.
process.on("SIGTERM", () => process.exit(0));
server.listen(Number(process.argv[3] ?? 0), "127.0.0.1", () => {
  const addr = server.address();
  console.log(`READY ${typeof addr === "object" && addr ? addr.port : 0}`);
});
