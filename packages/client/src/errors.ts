/** One invalid field of a 400 `invalid-request` answer. */
export interface FieldError {
  /** Where the value is, e.g. `scopes[1]`, `rateLimit.limit`, `limit`. */
  path: string;
  message: string;
}

/** An RFC 9457 problem body as DataHub writes it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: FieldError[];
}

/**
 * Every failed call of the client: an HTTP error answer (its problem+json body, typed), or no
 * answer at all (`status` 0: the edge was unreachable or the connection broke). Branch on
 * `status` or on the slug of `type` (`error.slug === "not-found"`), never on `detail`.
 */
export class DataHubError extends Error {
  override name = "DataHubError";
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The problem type URI, e.g. `https://datahub.dev/problems/not-found`; `network-error` when no answer arrived. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** The request id of the failed call (body or `X-Request-Id`), to find it in the request logs. */
  readonly requestId: string | undefined;
  /** The invalid fields of a validation error (400 `invalid-request`); empty otherwise. */
  readonly errors: FieldError[];
  /** The seconds the server asked to wait (`Retry-After`) on a 429 or 503. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: { status: number; type: string; title: string; detail: string; requestId?: string; errors?: FieldError[]; retryAfterSeconds?: number; cause?: unknown }) {
    super(`${init.status ? `${init.status} ` : ""}${init.title}: ${init.detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.errors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** The last path segment of `type` (`not-found`, `rate-limited`, `invalid-request`, …). */
  get slug(): string {
    return this.type.slice(this.type.lastIndexOf("/") + 1);
  }
}

/** Reads `Retry-After` (delay-seconds or an HTTP date) as seconds; undefined when absent or unreadable. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const raw = headers.get("retry-after");
  if (raw === null || raw.trim() === "") return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Builds the error of a non-2xx answer from its body. A body that is not a problem (an upstream's
 * own error, a proxy's HTML page) still gives a DataHubError with the status and the status text.
 */
export function errorFromResponse(response: Response, body: unknown): DataHubError {
  const p = (typeof body === "object" && body !== null ? body : {}) as Partial<Problem>;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return new DataHubError({
    status: response.status,
    type: str(p.type) ?? "about:blank",
    title: str(p.title) ?? (response.statusText || `HTTP ${response.status}`),
    detail: str(p.detail) ?? (typeof body === "string" && body ? body.slice(0, 200) : `the server answered ${response.status}`),
    requestId: str(p.requestId) ?? response.headers.get("x-request-id") ?? undefined,
    errors: Array.isArray(p.errors) ? p.errors.filter((e): e is FieldError => typeof e?.path === "string" && typeof e?.message === "string") : [],
    retryAfterSeconds: retryAfterSeconds(response.headers),
  });
}

/** The error of a call that got no answer (DNS, refused, reset, aborted). */
export function networkError(url: string, cause: unknown): DataHubError {
  const c = cause as { message?: string; cause?: { code?: string; message?: string } };
  const reason = c?.cause?.code ?? c?.cause?.message ?? c?.message ?? String(cause);
  return new DataHubError({ status: 0, type: "network-error", title: "Unreachable", detail: `cannot reach ${url}: ${reason}`, cause });
}
