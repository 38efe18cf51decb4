/**
 * The bench's upstream, run as its own process: `node --import tsx bench/upstream.ts [port]`.
 * A bare node:http server answering every request with a small JSON body, so that the numbers
 * of the rows above it measure the proxy, not the upstream. Prints `READY <port>` when listening.
 */
import http from "node:http";

const BODY = Buffer.from(JSON.stringify({ ok: true, service: "bench-upstream", items: [1, 2, 3] }));

const server = http.createServer((req, res) => {
  // Drain any request body before answering so keep-alive connections stay usable.
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": BODY.length });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const addr = server.address();
  console.log(`READY ${typeof addr === "object" && addr ? addr.port : 0}`);
});
