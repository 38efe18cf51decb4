/**
 * The per-request state the edge pipeline builds and every later stage reads.
 * Shared by the data plane (pipeline, proxy) and the `/v1` management API.
 */

import type { Principal } from "@datahub/runtime";

export type { KeyRateLimit, Principal } from "@datahub/runtime";

/** State of one request as it moves through the pipeline. */
export interface RequestContext {
  /** The client's `X-Request-Id` when valid, else a new UUIDv7. */
  requestId: string;
  /** `process.hrtime.bigint()` when the request arrived. */
  startedAt: bigint;
  /** Unix ms when the request arrived (for the request log). */
  receivedAtMs: number;
  clientIp: string;
  /** The client's scheme as a trusted proxy reported it (client-ip.ts); unset: the edge's own. */
  forwardedProto?: "http" | "https";
  /** Set by authentication when a valid key was presented. */
  principal?: Principal;
  /** Route name for logs and metrics: a datahub.yaml route name, `/v1/keys`, ...; empty when none matched. */
  route: string;
  /** W3C trace id of this request, when tracing is on. */
  traceId?: string;
  /** The incoming or generated `traceparent` to forward upstream. */
  traceparent?: string;
  /** Why the gateway answered itself (`unauthorized`, `rate_limited`, `forbidden`, ...). */
  error?: string;
  /** Nanoseconds spent waiting on the upstream (subtracted from the total to get gateway time). */
  upstreamNs: bigint;
}
