/**
 * The server side of bench/rpc-transport.ts, run as its own process:
 *   node --import tsx bench/rpc-server.ts grpc-js|connect
 * Serves datahub.ratelimit.v1.RateLimitService on 127.0.0.1 (a free port) with a handler that does
 * no I/O, so the numbers measure the RPC stack alone. Prints `READY <port>` once listening.
 */
import http2 from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ratelimit } from "@datahub/proto";
import { createLogger, createMetricsRegistry, GrpcHost } from "@datahub/runtime";

type CheckResponseInit = MessageInitShape<typeof ratelimit.CheckResponseSchema>;

/**
 * Allows every descriptor: the same pure function behind both servers. It copies the 64-bit fields
 * instead of computing with them so it compiles whether they are generated as number or bigint.
 */
function decide(req: ratelimit.CheckRequest): CheckResponseInit {
  return {
    decisions: req.descriptors.map((d) => ({ allowed: true, limit: d.limit, remaining: d.limit, resetAfterMs: d.windowMs })),
  };
}

const impl = {
  check: async (req: ratelimit.CheckRequest) => decide(req),
  checkBatchStream: async (batch: ratelimit.CheckBatchRequest) => ({ responses: batch.requests.map(decide) }),
};

async function serveGrpcJs(): Promise<number> {
  // The runtime's real server path: GrpcHost with its caller check, metrics wrapper, health and reflection.
  const token = process.env.DATAHUB_INTERNAL_TOKEN;
  if (token === undefined) throw new Error("rpc-server.ts needs DATAHUB_INTERNAL_TOKEN (bench/rpc-transport.ts sets it)");
  const host = new GrpcHost(createLogger({ level: "warn" }), createMetricsRegistry(), { callers: { tokens: [token] } });
  host.addService(ratelimit.RateLimitService, impl);
  return host.listen("127.0.0.1", 0);
}

async function serveConnect(): Promise<number> {
  const connectImpl = {
    ...impl,
    async *checkBatchStream(reqs: AsyncIterable<ratelimit.CheckBatchStreamRequest>) {
      for await (const m of reqs) yield { id: m.id, batch: await impl.checkBatchStream(m.batch ?? create(ratelimit.CheckBatchRequestSchema)) };
    },
  };
  const handler = connectNodeAdapter({ routes: (router) => router.service(ratelimit.RateLimitService, connectImpl) });
  const server = http2.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("no port");
  return addr.port;
}

const kind = process.argv[2];
if (kind !== "grpc-js" && kind !== "connect") {
  console.error("usage: rpc-server.ts grpc-js|connect");
  process.exit(2);
}
const port = kind === "grpc-js" ? await serveGrpcJs() : await serveConnect();
// The parent (bench/children.ts) kills this process group when it is done or interrupted.
console.log(`READY ${port}`);
