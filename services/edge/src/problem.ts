import type { ServerResponse } from "node:http";

/** An RFC 9457 problem: the body of every error the edge returns. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  /** Extra members, e.g. `errors` for validation failures. */
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Base of the `type` URIs; each problem kind has a stable slug documented in docs/errors.md. */
export const PROBLEM_BASE = "https://datahub.dev/problems/";

/**
 * Builds a problem document. `slug` names the kind (`invalid-api-key`, `rate-limited`, ...) and
 * becomes the `type` URI; `detail` must never contain a key, secret or header value.
 */
export function problem(status: number, slug: string, detail: string, requestId: string, extra: Record<string, unknown> = {}): Problem {
  return { type: PROBLEM_BASE + slug, title: TITLES[status] ?? "Error", status, detail, requestId, ...extra };
}

/** Writes a problem as `application/problem+json`; extra headers (e.g. `WWW-Authenticate`) are added. */
export function sendProblem(res: ServerResponse, p: Problem, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(p);
  res.writeHead(p.status, { ...headers, "content-type": "application/problem+json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
