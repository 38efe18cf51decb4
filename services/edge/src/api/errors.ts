/**
 * Error → RFC 9457 problem mapping for the `/v1` management API.
 *
 * Handlers throw {@link ApiError} for deliberate answers; gRPC errors from the auth and audit
 * services are mapped by status code; body-parser errors by their `type`; anything else is a
 * 500 with a generic detail (logged without request bodies or secrets).
 */
import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import type { Logger } from "@datahub/runtime";
import { GrpcStatus, MAX_JSON_DEPTH } from "@datahub/runtime";
import { problem, sendProblem } from "../problem";
import { contextOf } from "./request-context";

/** A deliberate HTTP error answer: status, stable slug (the problem `type`), and a safe detail. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

/** 404 for a missing object, an object of another org, or an unknown path. */
export const notFound = (what: string) => new ApiError(404, "not-found", `${what} not found`);

/** 403 for a missing scope or a forbidden operation. */
export const forbidden = (detail: string) => new ApiError(403, "forbidden", detail);

interface GrpcLike {
  code: number;
  details?: string;
  message: string;
}

/** True for an error carrying a numeric gRPC status code (a grpc-js ServiceError or an RpcError). */
function isGrpcError(e: unknown): e is GrpcLike {
  return e instanceof Error && typeof (e as Partial<GrpcLike>).code === "number";
}

/** The service's own message: grpc-js puts it in `details`; `message` is prefixed with "3 INVALID_ARGUMENT: ". */
function grpcDetail(e: GrpcLike): string {
  return (e.details ?? e.message.replace(/^\d+ [A-Z_]+: /, "")).slice(0, 500);
}

/** Service field names (proto, snake_case) whose `/v1` name is not just their camelCase. */
const API_FIELD: Record<string, string> = { fromMs: "from", toMs: "to", pathPrefix: "path" };

/**
 * The services start an INVALID_ARGUMENT message with the field they refused (`url: resolves to
 * a private address`, `cursor is not a cursor…`, `from_ms..to_ms spans…`); the 400's `errors`
 * entry names it as the API spells it (the message stays whole), or `request` when it names none.
 */
export function serviceFieldError(detail: string): { path: string; message: string } {
  const m = /^([a-z][A-Za-z0-9_]*)((?:\[\d+\])?(?:\.[a-z][A-Za-z0-9_]*)*)(?::\s*|\s+|\.\.)/.exec(detail);
  if (!m) return { path: "request", message: detail };
  const camel = m[1]!.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const rest = m[2]!.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return { path: (API_FIELD[camel] ?? camel) + rest, message: detail };
}

const GRPC_TO_HTTP: Partial<Record<number, [number, string]>> = {
  [GrpcStatus.INVALID_ARGUMENT]: [400, "invalid-request"],
  [GrpcStatus.OUT_OF_RANGE]: [400, "invalid-request"],
  [GrpcStatus.NOT_FOUND]: [404, "not-found"],
  [GrpcStatus.ALREADY_EXISTS]: [409, "conflict"],
  [GrpcStatus.FAILED_PRECONDITION]: [409, "conflict"],
  [GrpcStatus.PERMISSION_DENIED]: [403, "forbidden"],
};

/**
 * Codes meaning the service could not answer now: the client should retry shortly. UNIMPLEMENTED
 * counts too: it is what a process answers when the service's address points at a DataHub target
 * that does not run that service (e.g. a rolling upgrade), which is an outage, not a gateway bug.
 */
const RETRYABLE = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.CANCELLED,
  GrpcStatus.UNIMPLEMENTED,
]);

/** A 400 about the body as a whole: its one `errors` entry names `body`. */
const badBody = (slug: string, detail: string) => new ApiError(400, slug, detail, { errors: [{ path: "body", message: detail }] });

/** body-parser / raw-body error types → our problems. Their messages are never passed on (they may quote the body). */
const BODY_ERRORS: Record<string, ApiError> = {
  "entity.parse.failed": badBody("malformed-json", "the request body is not valid JSON"),
  "entity.too.deep": badBody("json-too-deep", `the request body nests objects and arrays deeper than the limit of ${MAX_JSON_DEPTH} levels`),
  "entity.too.large": new ApiError(413, "payload-too-large", "the request body is larger than the limit"),
  "encoding.unsupported": new ApiError(415, "unsupported-media-type", "unsupported Content-Encoding"),
  "charset.unsupported": new ApiError(415, "unsupported-media-type", "unsupported charset; send UTF-8 JSON"),
  "request.aborted": badBody("invalid-request", "the request body was aborted"),
  "request.size.invalid": badBody("invalid-request", "the request body does not match Content-Length"),
};

/**
 * Maps any thrown value to an {@link ApiError}. `log` is called for errors that are the gateway's
 * or a service's fault (5xx), so they are logged exactly once, without request data.
 */
export function toApiError(err: unknown, log: (e: unknown, code?: number) => void): ApiError {
  if (err instanceof ApiError) return err;
  if (isGrpcError(err)) {
    const mapped = GRPC_TO_HTTP[err.code];
    if (mapped) {
      const detail = grpcDetail(err);
      return new ApiError(mapped[0], mapped[1], detail, mapped[0] === 400 ? { errors: [serviceFieldError(detail)] } : {});
    }
    log(err, err.code);
    if (RETRYABLE.has(err.code)) {
      return new ApiError(503, "service-unavailable", "a backing service is unavailable; retry shortly", {}, { "retry-after": "1" });
    }
    return new ApiError(500, "internal-error", "an internal error occurred");
  }
  const type = typeof err === "object" && err !== null ? (err as { type?: unknown }).type : undefined;
  if (typeof type === "string" && BODY_ERRORS[type]) return BODY_ERRORS[type]!;
  log(err);
  return new ApiError(500, "internal-error", "an internal error occurred");
}

/** Writes an ApiError as a problem and records its short code in `ctx.error`. */
export function sendApiError(req: Request, res: Parameters<RequestHandler>[1], e: ApiError): void {
  const ctx = contextOf(req);
  // Answered already (a 408 for a body that came too slowly aborts the body read): that answer's code stands.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  ctx.error = e.slug.replace(/-/g, "_");
  sendProblem(res, problem(e.status, e.slug, e.detail, ctx.requestId, e.extra), e.headers);
}

/** The last middleware: turns every error into a problem response. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const ctx = contextOf(req);
    const e = toApiError(err, (cause, code) => {
      // Only the error's name, code and message: never the request body or headers.
      const c = cause instanceof Error ? cause : new Error(String(cause));
      const fields = { requestId: ctx.requestId, route: ctx.route, err: { name: c.name, message: c.message, code, stack: c.stack } };
      // A service being down is an operational condition (warn); anything else is a bug (error).
      if (code !== undefined && RETRYABLE.has(code)) logger.warn(fields, "management API: backing service unavailable");
      else logger.error(fields, "management API error");
    });
    sendApiError(req, res, e);
  };
}

/** Answers 405 with `Allow` for a known path called with another method. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  const allow = allowed.join(", ");
  return (req) => {
    throw new ApiError(405, "method-not-allowed", `${req.method} is not allowed here; allowed: ${allow}`, {}, { allow });
  };
}

/** Answers 404 for any `/v1` path no router matched. */
export const unknownPath: RequestHandler = () => {
  throw notFound("resource");
};

/** Returns `v`, or throws (→ logged 500) when a service response lacks a field it must carry. */
export function present<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} missing from the service response`);
  return v;
}
