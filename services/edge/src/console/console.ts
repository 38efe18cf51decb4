/**
 * The admin console at `DATAHUB_CONSOLE_PATH` (docs/console.md): its built pages, its session
 * endpoints, and `{console}/api/v1/*`, which is the `/v1` API authenticated by the session
 * cookie instead of a key header. The pipeline routes every path below the prefix here; this
 * class decides what each is and how a console caller is authenticated.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { principalFrom, type Logger } from "@datahub/runtime";
import type { Principal, RequestContext } from "../context";
import type { EdgeResponse } from "../exchange";
import type { Responder } from "../respond";
import type { ConsoleAsset, ConsoleAssets } from "./assets";
import type { HealthReport } from "./service-health";
import { createSessionApi, SESSION_ENDED, type SessionRpcs } from "./session-api";
import { CSRF_DETAIL, csrfPasses, sessionTokenOf, type CookieOptions } from "./session-cookie";

/**
 * The console page's CSP: scripts, styles and connections only from this origin, no inline
 * script or style, no framing. The built console obeys it (packages/console).
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/** What a path below the prefix is. */
export type ConsolePath = { kind: "api"; v1Path: string } | { kind: "session" } | { kind: "page" };

/** Options of {@link Console}. */
export interface ConsoleOptions {
  /** The prefix, e.g. `/console`. */
  prefix: string;
  /** The built files; undefined when the console was not built (pages answer 503). */
  assets: ConsoleAssets | undefined;
  auth: SessionRpcs;
  cookie: CookieOptions;
  sessionTtlMs: number;
  responder: Responder;
  logger: Logger;
  /** The overview's health panel. */
  health: () => Promise<HealthReport>;
}

const NOT_BUILT = "The console is not built on this server: run `npm run build -w @datahub/console` (the quick start and the container image do), then restart.";

/** The console's routing, pages and session authentication. */
export class Console {
  readonly prefix: string;
  private readonly sessionApi: ReturnType<typeof createSessionApi>;

  constructor(private readonly opts: ConsoleOptions) {
    this.prefix = opts.prefix;
    this.sessionApi = createSessionApi({ auth: opts.auth, cookie: opts.cookie, sessionTtlMs: opts.sessionTtlMs, logger: opts.logger, health: opts.health });
  }

  /** True for the prefix itself and every path below it. */
  owns(path: string): boolean {
    return path.startsWith(this.prefix) && (path.length === this.prefix.length || path.charCodeAt(this.prefix.length) === 47 /* / */);
  }

  /** Classifies a path {@link owns} accepted. */
  classify(path: string): ConsolePath {
    const sub = path.slice(this.prefix.length);
    if (sub === "/api/v1" || sub.startsWith("/api/v1/")) return { kind: "api", v1Path: sub.slice(4) };
    if (sub === "/api" || sub.startsWith("/api/")) return { kind: "session" };
    return { kind: "page" };
  }

  /** Hands a request below `{console}/api` (other than `/api/v1`) to the session endpoints. */
  session(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, path: string, search: string): void {
    ctx.route = "console:session";
    req.url = path.slice(this.prefix.length + 4) + search;
    this.sessionApi(req, res, ctx);
  }

  /**
   * The caller of a `{console}/api/v1` request: the live session's key. Answers 401 (no live
   * session) or 403 (a change without the CSRF token) itself and returns undefined then.
   */
  async authenticate(req: IncomingMessage, res: EdgeResponse): Promise<Principal | undefined> {
    const { responder } = this.opts;
    const token = sessionTokenOf(req.headers);
    if (token === undefined) {
      responder.problem(res, 401, "unauthorized", SESSION_ENDED);
      return undefined;
    }
    // Checked before the lookup: a forged change costs no RPC.
    if (!csrfPasses(req.method, req.headers, token)) {
      responder.problem(res, 403, "csrf", CSRF_DETAIL);
      return undefined;
    }
    let found: Awaited<ReturnType<SessionRpcs["verifySession"]>>;
    try {
      found = await this.opts.auth.verifySession({ token }, res.ctx.traceparent ? { metadata: { traceparent: res.ctx.traceparent } } : undefined);
    } catch (err) {
      // As for a key: an auth outage is not a signed-out session.
      this.opts.logger.warn({ err: { message: (err as Error).message }, requestId: res.ctx.requestId }, "console session could not be verified");
      responder.problem(res, 503, "auth-unavailable", "The session could not be verified right now; retry shortly.", { "retry-after": "1" });
      return undefined;
    }
    const principal = found.valid && found.session?.key ? principalFrom(found.session.key) : undefined;
    if (principal === undefined) responder.problem(res, 401, "unauthorized", SESSION_ENDED);
    return principal;
  }

  /** Serves a page or a built file: GET and HEAD only; every page path gets index.html. */
  page(req: IncomingMessage, res: EdgeResponse, path: string, search: string): void {
    const { responder } = this.opts;
    res.ctx.route = "console";
    if (req.method !== "GET" && req.method !== "HEAD") {
      responder.problem(res, 405, "method-not-allowed", "The console's pages accept GET and HEAD.", { allow: "GET, HEAD" });
      return;
    }
    if (path === this.prefix) {
      // Relative URLs in the page resolve against the directory: always serve it with the slash.
      this.write(res, 308, { location: this.prefix + "/" + search, "content-length": "0" });
      res.end();
      return;
    }
    const sub = path.slice(this.prefix.length);
    const assets = this.opts.assets;
    if (assets === undefined) {
      responder.problem(res, 503, "console-not-built", NOT_BUILT);
      return;
    }
    const file = assets.find(sub);
    if (file === undefined && (sub.startsWith("/assets/") || /\.[a-z0-9]+$/i.test(sub))) {
      responder.problem(res, 404, "not-found", "No console file has this name.");
      return;
    }
    this.send(req, res, file ?? assets.index);
  }

  private send(req: IncomingMessage, res: EdgeResponse, file: ConsoleAsset): void {
    const headers: Record<string, string> = {
      "content-type": file.contentType,
      etag: file.etag,
      "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      vary: "Accept-Encoding",
    };
    if (file === this.opts.assets?.index) headers["content-security-policy"] = CONSOLE_CSP;
    if (req.headers["if-none-match"] === file.etag) {
      this.write(res, 304, headers);
      res.end();
      return;
    }
    const accept = req.headers["accept-encoding"] ?? "";
    let body = file.body;
    if (file.br !== undefined && /\bbr\b/.test(accept)) {
      body = file.br;
      headers["content-encoding"] = "br";
    } else if (file.gzip !== undefined && /\bgzip\b/.test(accept)) {
      body = file.gzip;
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = String(body.length);
    this.write(res, 200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  }

  /** Writes the head with the gateway's common headers, minus CORS: the console is same-origin only. */
  private write(res: EdgeResponse, status: number, extra: Record<string, string>): void {
    const headers = this.opts.responder.baseHeaders(res);
    for (const name of Object.keys(headers)) if (name.startsWith("access-control-")) delete headers[name];
    res.writeHead(status, Object.assign(headers, extra));
  }
}
