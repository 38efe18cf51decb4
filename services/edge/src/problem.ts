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

/**
 * Base of the `type` URIs. Absolute, so the identifier means the same wherever the body travels
 * (a relative reference would resolve against each request's URL); clients match on it, so it
 * never changes. Each slug has a section with the same id in docs/errors.md.
 */
export const PROBLEM_BASE = "https://datahub.dev/problems/";

/**
 * Which part of the request a 400 without field-level errors is about, by slug. Every 400 carries
 * a non-empty `errors` list, so clients handle one shape whether a field, a parameter or the
 * request as a whole was refused.
 */
const REQUEST_PART: Record<string, string> = {
  "invalid-path": "path",
  "api-key-in-query": "query",
  "malformed-json": "body",
  "json-too-deep": "body",
};

/**
 * Builds a problem document. `slug` names the kind (`unauthorized`, `rate-limited`, ...) and
 * becomes the `type` URI; `detail` must never contain a key, secret or header value. A 400 given
 * no `errors` gets one entry naming the request part (`path`, `query`, `body` or `request`).
 */
export function problem(status: number, slug: string, detail: string, requestId: string, extra: Record<string, unknown> = {}): Problem {
  const p: Problem = { type: PROBLEM_BASE + slug, title: TITLES[status] ?? "Error", status, detail, requestId, ...extra };
  if (status === 400 && !Array.isArray(p.errors)) p.errors = [{ path: REQUEST_PART[slug] ?? "request", message: detail }];
  return p;
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
