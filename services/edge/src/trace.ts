/**
 * W3C trace context (`traceparent`) for the upstream hop: the client's when it is valid, else a
 * new one. Ids come from a pooled random buffer (one `randomFillSync` per 4 KiB), not a
 * crypto call per request.
 */
import { randomFillSync } from "node:crypto";

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return s;
}

/** The trace of one request: its id and the `traceparent` to forward. */
export interface TraceContext {
  traceId: string;
  traceparent: string;
}

/** Parses a client `traceparent` (version 00, non-zero ids); otherwise starts a new sampled trace. */
export function traceFrom(header: string | string[] | undefined): TraceContext {
  if (typeof header === "string") {
    const m = TRACEPARENT_RE.exec(header);
    if (m !== null && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN) return { traceId: m[1]!, traceparent: header };
  }
  const traceId = randomHex(16);
  return { traceId, traceparent: "00-" + traceId + "-" + randomHex(8) + "-01" };
}
