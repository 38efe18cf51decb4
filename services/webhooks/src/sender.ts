import { readFileSync } from "node:fs";
import { Agent, request } from "undici";
import { guardedLookup, literalRefusal, type AllowList } from "./ssrf";

/** Largest part of a receiver's answer kept in the attempt log. */
export const EXCERPT_BYTES = 4096;

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** `user-agent` of every delivery. */
export const USER_AGENT = `DataHub-Webhooks/${VERSION}`;

/** One HTTP attempt's result; `statusCode` 0 means no HTTP answer (then `error` says why). */
export interface SendResult {
  statusCode: number;
  durationMs: number;
  excerpt: string;
  error: string;
  /** The receiver's `Retry-After` header, raw. */
  retryAfter?: string;
}

/** Options of {@link WebhookSender}. */
export interface SenderOptions {
  allow: AllowList;
  timeoutMs: number;
  /** Sockets kept per receiver origin (keep-alive pool). */
  connectionsPerOrigin?: number;
}

/**
 * POSTs signed webhook bodies with undici over one pooled keep-alive Agent. Redirects are not
 * followed (a 3xx is a failed attempt), and every connection goes through the SSRF guard's
 * `lookup`, so a name that resolves to a forbidden address at delivery time is refused.
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(private readonly opts: SenderOptions) {
    this.agent = new Agent({
      connections: opts.connectionsPerOrigin ?? 128,
      keepAliveTimeout: 4_000,
      connect: { lookup: guardedLookup(opts.allow), timeout: Math.min(opts.timeoutMs, 10_000) },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  /** Sends one attempt; never throws: failures come back as `statusCode` 0 and an `error`. */
  async send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { statusCode: 0, durationMs: 0, excerpt: "", error: "invalid URL" };
    }
    // IP-literal hosts never go through a DNS lookup, so the connect-time guard would not see them.
    const refusal = literalRefusal(target, this.opts.allow);
    if (refusal) return { statusCode: 0, durationMs: 0, excerpt: "", error: refusal };
    try {
      const res = await request(target, {
        dispatcher: this.agent,
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      // Keep the first 4 KiB; leaving the loop early destroys the body, discarding the rest.
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= EXCERPT_BYTES) break;
      }
      const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString("utf8").replace(/\u0000/g, "");
      const ra = res.headers["retry-after"];
      return { statusCode: res.statusCode, durationMs: elapsed(), excerpt, error: "", retryAfter: Array.isArray(ra) ? ra[0] : ra };
    } catch (err) {
      return { statusCode: 0, durationMs: elapsed(), excerpt: "", error: describe(err) };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** A short, secret-free reason for a failed request (no headers, no body). */
function describe(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError" || e.code === "UND_ERR_HEADERS_TIMEOUT" || e.code === "UND_ERR_BODY_TIMEOUT") {
    return "timeout";
  }
  if (e.code === "ESSRF" || e.name === "SsrfError") return e.message ?? "refused by the SSRF guard";
  const code = e.code ?? e.cause?.code;
  const msg = (e.message ?? e.cause?.message ?? "request failed").slice(0, 300);
  return code ? `${code}: ${msg}` : msg;
}
