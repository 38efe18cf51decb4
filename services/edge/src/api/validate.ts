/**
 * zod helpers for the `/v1` API: parse a body or query string, or throw a 400 problem whose
 * `detail` names the first bad field (`scopes[1]: must match ...`) and whose `errors` member
 * lists every issue as `{path, message}`. Schemas are strict: unknown fields are a 400 too, so a
 * typo (`expires_at`, `?keyid=`) is reported instead of silently ignored.
 */
import type { Request } from "express";
import { z } from "zod";
import { SCOPE_RE } from "@datahub/runtime";
import { ApiError, notFound } from "./errors";

/** One validation problem, as it appears in the problem's `errors` member. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * A client-chosen field name is echoed only when it looks like a field name; anything else (a
 * pasted key or secret, a huge string) is replaced, so a problem body never quotes a secret.
 */
function safeSegment(p: string): string {
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(p) && !/^(dhr?|whsec)_/i.test(p) ? p : "[redacted]";
}

/** `["scopes", 1]` → `scopes[1]`; `["rateLimit", "limit"]` → `rateLimit.limit`. */
export function formatPath(path: readonly PropertyKey[], root: string): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += (out ? "." : "") + safeSegment(String(p));
  }
  return out || root;
}

/** Flattens zod issues into field errors; unknown keys become one error per key. */
export function fieldErrors(error: z.ZodError, root: string): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) out.push({ path: formatPath([...issue.path, k], root), message: "unknown field" });
    } else {
      out.push({ path: formatPath(issue.path, root), message: issue.message });
    }
  }
  return out;
}

function invalid(errors: FieldError[]): ApiError {
  const first = errors[0] ?? { path: "body", message: "invalid" };
  return new ApiError(400, "invalid-request", `${first.path}: ${first.message}`, { errors });
}

/** Parses `value` with `schema` or throws a 400 ApiError naming the field (paths are rooted at `root`). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(fieldErrors(r.error, root));
  return r.data;
}

/** Parses the JSON body (absent body = `{}`), or throws a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parseWith(schema, req.body === undefined ? {} : req.body, "body");
}

/** Parses the query string, or throws a 400 naming the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parseWith(schema, { ...(req.query as Record<string, unknown>) }, "query");
}

// ---- shared field schemas ----

/** A display name: 1–200 characters after trimming. */
export const nameSchema = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(200, { error: "must be at most 200 characters" });

/** A scope string per the scope grammar (docs/reference/http-api.md, "Scopes and orgs"). */
export const scopeSchema = z
  .string({ error: "must be a string" })
  .max(100, { error: "must be at most 100 characters" })
  .regex(SCOPE_RE, { error: `must match ${SCOPE_RE.source} (e.g. "keys:read", "orders:*", "*")` });

/** A list of scopes (duplicates removed, order kept). */
export const scopesSchema = z
  .array(scopeSchema, { error: "must be an array of scope strings" })
  .max(50, { error: "must hold at most 50 scopes" })
  .transform((s) => [...new Set(s)]);

/** A JSON object (not an array, not null) of at most 4 KiB as JSON (the auth service's limit). */
export const metadataSchema = z
  .record(z.string(), z.json(), { error: "must be a JSON object" })
  .refine((m) => Buffer.byteLength(JSON.stringify(m), "utf8") <= 4096, { error: "must be at most 4096 bytes as JSON" });

/** An ISO-8601 date-time with a zone (`Z` or an offset) that lies in the future; → unix ms. */
export const futureDateSchema = z
  .iso.datetime({ offset: true, error: "must be an ISO-8601 date-time with a time zone, e.g. 2030-01-01T00:00:00Z" })
  .transform((v, ctx) => {
    const ms = Date.parse(v);
    if (!(ms > Date.now())) {
      ctx.addIssue({ code: "custom", message: "must be in the future" });
      return z.NEVER;
    }
    return ms;
  });

/** Algorithms the rate limiter implements (datahub.yaml names). */
export const ALGORITHMS = ["sliding-log", "gcra", "sliding-window", "fixed-window"] as const;

/** A key's own rate-limit policy. */
export const rateLimitSchema = z.strictObject(
  {
    limit: z.int({ error: "must be an integer" }).min(1, { error: "must be at least 1" }).max(1_000_000_000, { error: "must be at most 1000000000" }),
    windowSeconds: z.int({ error: "must be an integer" }).min(1, { error: "must be at least 1" }).max(86_400, { error: "must be at most 86400 (a day)" }),
    algorithm: z.enum(ALGORITHMS, { error: `must be one of ${ALGORITHMS.join(", ")}` }).optional(),
  },
  { error: "must be an object {limit, windowSeconds, algorithm?}" },
);

/** A query parameter given once (express turns `?a=1&a=2` into an array). */
const single = z.string({ error: "must be given once" });

/** `limit` query parameter: an integer from 1 to `max`, default `def`. */
export function limitParam(def: number, max: number) {
  return single
    .regex(/^\d+$/, { error: `must be an integer from 1 to ${max}` })
    .transform(Number)
    .pipe(z.number().min(1, { error: `must be an integer from 1 to ${max}` }).max(max, { error: `must be an integer from 1 to ${max}` }))
    .default(def);
}

/** An opaque pagination cursor from a previous `nextCursor`. */
export const cursorParam = single.max(1024, { error: "is not a valid cursor" }).optional();

/** A time given as ISO-8601 (date or date-time) or unix milliseconds; → unix ms. */
export const timeParam = single.transform((v, ctx) => {
  if (/^\d{1,15}$/.test(v)) return Number(v);
  const ok = z.iso.datetime({ offset: true }).safeParse(v).success || z.iso.date().safeParse(v).success;
  const ms = ok ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: "must be an ISO-8601 date-time (e.g. 2030-01-01T00:00:00Z) or unix milliseconds" });
    return z.NEVER;
  }
  return ms;
});

/** An object id in a path or a filter: the services use UUIDs. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A query parameter naming an object id (`keyId`, `orgId`). */
export const idParam = single.min(1, { error: "must not be empty" }).max(128, { error: "must be at most 128 characters" });

/** zod's message when a body is not a JSON object. */
export const OBJECT_ERROR = { error: "must be a JSON object" };

/** `?orgId=` alone (root keys act on another org). */
export const orgQuery = z.strictObject({ orgId: idParam.optional() });

/** A list page: `?limit=` (50, at most 100), `?cursor=`, `?orgId=`. */
export const pageQuery = z.strictObject({ limit: limitParam(50, 100), cursor: cursorParam, orgId: idParam.optional() });

/**
 * A path parameter naming an object; anything that is not a UUID (the services' ids) cannot exist:
 * 404 naming `what`, without a call.
 */
export function uuidParam(req: Request, name: string, what: string): string {
  const id = req.params[name];
  if (typeof id !== "string" || !UUID_RE.test(id)) throw notFound(what);
  return id.toLowerCase();
}
