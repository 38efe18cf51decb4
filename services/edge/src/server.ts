/**
 * The edge's HTTP(S) server on bare node:http (express would halve throughput; it only runs
 * inside `/v1`). HTTPS requires TLS 1.3. Requests the HTTP parser rejects never reach the
 * pipeline: headers over `maxHeaderBytes` get a raw `431` problem (and still a request-log
 * record), other parse errors a `400`.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFileSync } from "node:fs";
import type { Duplex } from "node:stream";
import { listenOn, newId, type Config } from "@datahub/runtime";
import { EdgeRequest, EdgeResponse } from "./exchange";
import { ConnectionDrain } from "./drain";
import { problem } from "./problem";
import type { HeaderMap } from "./headers";
import type { RequestLog } from "./request-log";
import { answerSlowBody, REQUEST_TIMEOUT_DETAIL, slowClientOptions, trackExchange } from "./slow-clients";

const REASONS: Record<number, string> = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" };

/** Options for {@link startEdgeServer}. */
export interface EdgeServerOptions {
  config: Config;
  handler: (req: EdgeRequest, res: EdgeResponse) => void;
  requestLog: RequestLog;
  security: HeaderMap;
}

/** A listening edge server. */
export interface EdgeServer {
  server: Server<typeof EdgeRequest, typeof EdgeResponse>;
  port: number;
  /**
   * Stops accepting and drains (drain.ts): every connection ends after its current response, those
   * without one at once; resolves when the last has closed, or after `timeoutMs`, cutting the rest.
   */
  close(timeoutMs: number): Promise<void>;
}

/** Method and path (query dropped: it may hold anything) from the first line of a raw request. */
function requestLineOf(raw: Buffer | undefined): { method: string; path: string } {
  if (!raw || raw.length === 0) return { method: "", path: "" };
  const line = raw.subarray(0, Math.min(raw.length, 4096)).toString("latin1").split("\r\n", 1)[0] ?? "";
  const [method = "", target = ""] = line.split(" ");
  const q = target.indexOf("?");
  return { method: /^[A-Z]{1,16}$/.test(method) ? method : "", path: (q === -1 ? target : target.slice(0, q)).slice(0, 2048) };
}

/**
 * Creates the server and starts listening on `config.bindHost:config.ports.edge`; rejects with a
 * `ListenError` naming DATAHUB_EDGE_PORT when that cannot be bound.
 */
export async function startEdgeServer(opts: EdgeServerOptions): Promise<EdgeServer> {
  const { config, requestLog, security } = opts;
  const drain = new ConnectionDrain();
  const common = {
    IncomingMessage: EdgeRequest,
    ServerResponse: drain.Response,
    maxHeaderSize: config.limits.maxHeaderBytes,
    ...slowClientOptions(config.clientTimeouts),
  };
  const server: Server<typeof EdgeRequest, typeof EdgeResponse> = config.tls
    ? (createHttpsServer({ ...common, cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key), minVersion: "TLSv1.3" }) as unknown as Server<typeof EdgeRequest, typeof EdgeResponse>)
    : createHttpServer(common);
  server.on("request", trackExchange as never);
  server.on("request", opts.handler as never);
  drain.attach(server, config.tls !== undefined);

  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    if (status === 408 && answerSlowBody(socket, security)) return;
    const started = process.hrtime.bigint();
    const requestId = newId();
    const detail = status === 431 ? `The request headers are larger than ${config.limits.maxHeaderBytes} bytes.` : status === 408 ? REQUEST_TIMEOUT_DETAIL : "The request is not valid HTTP.";
    const slug = status === 431 ? "headers-too-large" : status === 408 ? "request-timeout" : "bad-request";
    const body = JSON.stringify(problem(status, slug, detail, requestId));
    let head = `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n`;
    for (const name in security) head += `${name}: ${security[name]}\r\n`;
    socket.end(head + "\r\n" + body);
    const { method, path } = requestLineOf((err as { rawPacket?: Buffer }).rawPacket);
    const remote = (socket as { remoteAddress?: string }).remoteAddress ?? "";
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    requestLog.write({
      requestId,
      timestampMs: BigInt(Date.now()),
      // "-" (as in common log format) when no request line arrived: the request log needs a token.
      method: method || "-",
      path,
      route: "",
      status,
      durationMs,
      gatewayMs: durationMs,
      keyId: "",
      orgId: "",
      clientIp: remote.startsWith("::ffff:") ? remote.slice(7) : remote,
      userAgent: "",
      bytesIn: 0n,
      bytesOut: BigInt(head.length + body.length + 2),
      traceId: "",
      error: slug.replaceAll("-", "_"),
    });
  });

  const port = await listenOn(server, "DATAHUB_EDGE_PORT", config.bindHost, config.ports.edge);

  return {
    server,
    port,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          // In-flight requests that outlived the shutdown budget are cut.
          server.closeAllConnections();
          resolve();
        }, timeoutMs);
        timer.unref();
        drain.start();
        server.close(() => {
          clearTimeout(timer);
          drain.stop();
          resolve();
        });
      }),
  };
}
