/**
 * A no-op OTLP/HTTP trace receiver for the bench's "DataHub + tracing 100 %" row, run as its own
 * process: `node --import tsx bench/otlp-sink.ts`. It reads and discards every export (answering
 * an empty ExportTraceServiceResponse), so the row measures what tracing costs DataHub — span
 * creation, context propagation, batching and serialisation — not a collector.
 * Prints `READY <port>`; on SIGTERM prints `SPANS <requests> <bytes>` before exiting.
 */
import http from "node:http";

let requests = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on("data", (c: Buffer) => (bytes += c.length));
  req.on("end", () => {
    requests++;
    res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 });
    res.end();
  });
});
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  console.log(`READY ${typeof addr === "object" && addr ? addr.port : 0}`);
});
process.on("SIGTERM", () => {
  console.log(`SPANS ${requests} ${bytes}`);
  process.exit(0);
});
