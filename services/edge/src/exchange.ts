/**
 * The node:http request/response classes the edge server creates (`createServer({IncomingMessage,
 * ServerResponse})`): the response carries the pipeline state of its exchange as plain fields, so
 * the hot path needs no WeakMap lookups and no per-request closures.
 */
import { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Span } from "@datahub/runtime";
import type { RequestContext } from "./context";
import type { RateLimitHeaders } from "./ratelimit/headers";

/** The edge's IncomingMessage (no extra state; named for symmetry and typing). */
export class EdgeRequest extends IncomingMessage {}

/** The edge's ServerResponse with the state of one exchange. */
export class EdgeResponse extends ServerResponse<EdgeRequest> {
  /** Set by the pipeline before anything else. */
  ctx!: RequestContext;
  /** Request path without the query string (what logs record). */
  path = "";
  /** Rate-limit headers to add to the response, once a decision was made. */
  rateLimit: RateLimitHeaders | undefined = undefined;
  /** Gateway time up to the response headers of a proxied request (0 = total minus upstream). */
  gatewayNs = 0n;
  /** hrtime when the request was sent upstream (0 when it was not). */
  upstreamStartedAt = 0n;
  /** Request body bytes (Content-Length, or counted for chunked bodies). */
  bytesIn = 0;
  /** `socket.bytesWritten` when the exchange started: the difference is what this response sent. */
  socketBytesAtStart = 0;
  /** The request's OpenTelemetry SERVER span and its context (only when tracing is on). */
  span: Span | undefined = undefined;
  spanContext: Context | undefined = undefined;
  /** Health probes are not request-logged. */
  skipLog = false;
}
