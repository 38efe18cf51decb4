/**
 * The edge server's defence against slow clients (slow-loris): how long a client may take to send
 * its headers and its whole request before server.ts's clientError handler answers 408, and how
 * long an idle keep-alive connection is kept (docs/security.md, "Slow clients";
 * README, configuration table).
 */
import type { Duplex } from "node:stream";
import type { Config } from "@datahub/runtime";
import type { EdgeRequest, EdgeResponse } from "./exchange";
import type { HeaderMap } from "./headers";
import { problem } from "./problem";

/** The detail of every 408 the edge sends. */
export const REQUEST_TIMEOUT_DETAIL = "The request took too long to arrive.";

/** The exchange a connection is in (or was in last): set for every request, read when one times out. */
const kExchange = Symbol("datahub.exchange");
type TrackedSocket = Duplex & { [kExchange]?: EdgeResponse };

/**
 * node:http enforces the headers and request timeouts only when it sweeps its connections,
 * every 30 s by default, so a 10 s timeout could let a client hold a socket for 40 s. A tenth of
 * the headers timeout (the shorter one; 50 ms to 1 s) keeps every cut within 10 %, at most 1 s,
 * past its setting; a sweep only walks the connections that are mid-request.
 */
function connectionsCheckingIntervalMs(headersTimeoutMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(headersTimeoutMs / 10)));
}

/** The options of http(s).createServer that carry `DATAHUB_*_TIMEOUT_MS`. */
export function slowClientOptions(t: Config["clientTimeouts"]) {
  return {
    // From the first byte of a request (or the connection's opening) to the end of its headers.
    headersTimeout: t.headersMs,
    // From the same start to the end of the body; the response is the route's timeoutMs's business.
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(t.headersMs),
    // HTTPS only: a TLS handshake that never finishes would otherwise hold the socket for 120 s.
    handshakeTimeout: t.headersMs,
  };
}

/** A `request` listener that remembers each connection's current exchange (one property write). */
export function trackExchange(req: EdgeRequest, res: EdgeResponse): void {
  (req.socket as TrackedSocket)[kExchange] = res;
}

/**
 * Handles a request timeout that struck while the body was arriving (the headers, and so the
 * pipeline, already ran); returns false when no request had got that far, which leaves the raw
 * 408 of server.ts. Not yet answered: the 408 goes out as that exchange's own response, so its
 * request-log record (request id, key, route) says 408 `request_timeout` once, instead of a 499
 * plus a second, anonymous 408. Already answered (say a 401 sent before the body): a 408 now would
 * be an answer to nothing, so the connection is just closed.
 */
export function answerSlowBody(socket: Duplex, security: HeaderMap): boolean {
  const res = (socket as TrackedSocket)[kExchange];
  if (res === undefined || res.req.complete) return false;
  if (res.headersSent) {
    socket.destroy();
    return true;
  }
  const ctx = res.ctx;
  ctx.error = "request_timeout";
  const body = JSON.stringify(problem(408, "request-timeout", REQUEST_TIMEOUT_DETAIL, ctx.requestId));
  res.writeHead(408, {
    ...security,
    "x-request-id": ctx.requestId,
    "content-type": "application/problem+json",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
  });
  res.end(body);
  return true;
}
