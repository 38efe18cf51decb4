import { retryAfterSeconds } from "./errors.ts";

/** How the client retries answers that ask the caller to come back later. */
export interface RetryOptions {
  /** Further attempts after the first; 0 turns retries off. Default 2. */
  attempts?: number;
  /** The most the client sleeps across all retries of one call, in ms; a longer `Retry-After` is not waited out. Default 10 000. */
  maxTotalWaitMs?: number;
  /** The wait when an answer carries no `Retry-After`, doubled on each retry. Default 250 ms. */
  baseDelayMs?: number;
}

/** Methods that may be sent twice without changing the result twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * Problem types the edge's pipeline answers BEFORE the request reaches its handler (rate limiting
 * and authentication come first, docs/reference/http-api.md "Pipeline"): the request was not
 * processed, so sending it again is safe whatever its method.
 */
const NOT_PROCESSED = new Set(["rate-limited", "auth-unavailable", "ratelimit-unavailable"]);

async function problemSlug(res: Response): Promise<string | undefined> {
  try {
    const body = (await res.clone().json()) as { type?: unknown };
    return typeof body.type === "string" ? body.type.slice(body.type.lastIndexOf("/") + 1) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether an answer may be retried. The rule:
 * - only 429 and 503;
 * - any method when the problem type says the pipeline refused the request before its handler ran
 *   (`rate-limited`, `auth-unavailable`, `ratelimit-unavailable`);
 * - otherwise (a 503 `service-unavailable` from a `/v1` handler, or a body that is not a problem)
 *   only idempotent methods, since the server may have acted before failing.
 */
export async function isRetryable(method: string, res: Response): Promise<boolean> {
  if (res.status !== 429 && res.status !== 503) return false;
  if (IDEMPOTENT.has(method.toUpperCase())) return true;
  const slug = await problemSlug(res);
  return slug !== undefined && NOT_PROCESSED.has(slug);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Wraps `fetch` so that retryable answers ({@link isRetryable}) are sent again after the server's
 * `Retry-After` (or an exponential delay without one), at most `attempts` times and never waiting
 * more than `maxTotalWaitMs` in all. When the next wait would pass that budget, the answer is
 * returned as it is, so the caller sees the real 429/503. Network errors are not retried: the
 * request may have arrived, and an unreachable edge should fail fast.
 */
export function withRetries(fetchImpl: typeof fetch, opts: RetryOptions = {}): typeof fetch {
  const attempts = opts.attempts ?? 2;
  const budget = opts.maxTotalWaitMs ?? 10_000;
  const base = opts.baseDelayMs ?? 250;
  if (attempts <= 0) return fetchImpl;
  return async (input, init) => {
    // A Request's body can be read once: keep a pristine copy for every further attempt.
    const original = input instanceof Request ? input : new Request(input, init);
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      const res = await fetchImpl(original.clone());
      if (attempt >= attempts || !(await isRetryable(original.method, res))) return res;
      const after = retryAfterSeconds(res.headers);
      const wait = after !== undefined ? after * 1000 : base * 2 ** attempt;
      if (waited + wait > budget) return res;
      // The unread body would hold the connection open until garbage collection.
      await res.body?.cancel().catch(() => undefined);
      waited += wait;
      await sleep(wait);
    }
  };
}
