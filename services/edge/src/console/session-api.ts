/**
 * `{console}/api/session`: signing in (an API key exchanged for a session cookie), reading the
 * session, and signing out. It runs on express with the `/v1` API's body parsing, validation and
 * problem answers, so a bad request here gets exactly the answers it would get under `/v1`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import express, { Router, type Request, type Response } from "express";
import helmet from "helmet";
import { z } from "zod";
import type { Logger } from "@datahub/runtime";
import type { auth } from "@datahub/proto";
import { jsonBody } from "../api/body";
import { ApiError, errorHandler, methodNotAllowed, notFound } from "../api/errors";
import { attachContext, routeName, rpcOptions } from "../api/request-context";
import { parseBody } from "../api/validate";
import type { RequestContext } from "../context";
import type { HealthReport } from "./service-health";
import { CSRF_DETAIL, clearedCookie, csrfPasses, csrfTokenFor, sessionCookie, sessionTokenOf, type CookieOptions } from "./session-cookie";

/** The AuthService calls the console uses. */
export interface SessionRpcs {
  createSession(req: { key: string; ttlSeconds: number }, opts?: { metadata?: Record<string, string> }): Promise<auth.CreateSessionResponse>;
  verifySession(req: { token: string }, opts?: { metadata?: Record<string, string> }): Promise<auth.VerifySessionResponse>;
  endSession(req: { token: string }, opts?: { metadata?: Record<string, string> }): Promise<unknown>;
}

/** Options of {@link createSessionApi}. */
export interface SessionApiOptions {
  auth: SessionRpcs;
  cookie: CookieOptions;
  sessionTtlMs: number;
  logger: Logger;
  /** The overview's health panel (service-health.ts). */
  health: () => Promise<HealthReport>;
}

/** Same answer for every refused key: nothing to tell a guesser. */
const INVALID_KEY = "The API key is not valid: check that it was copied whole and has not been revoked or expired.";
/** Answer when there is no live session. */
export const SESSION_ENDED = "Sign in to the console: there is no session, or it has ended or expired.";

const signInBody = z.strictObject({ key: z.string().min(1).max(200) }, { error: "must be a JSON object with the API key in `key`" });

/** The session body the page works from: the key (never its secret), the CSRF token, the end. */
function sessionJson(session: auth.Session | undefined, token: string) {
  const k = session?.key;
  return {
    csrfToken: csrfTokenFor(token),
    expiresAt: session?.expiresAt ? timestampDate(session.expiresAt).toISOString() : null,
    key: { id: k?.keyId ?? "", orgId: k?.orgId ?? "", name: session?.keyName ?? "", scopes: k?.scopes ?? [], root: k?.root ?? false },
  };
}

function noStore(res: Response): void {
  res.setHeader("cache-control", "no-store");
}

/**
 * Builds the session routes; the returned handler expects `req.url` below the console's `/api`
 * (`/session`) and the pipeline's context (request id, client address) for logs and problems.
 */
export function createSessionApi(opts: SessionApiOptions): (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
  /** The request's live session (answers are never cached); 401 when there is none. */
  async function liveSession(req: Request, res: Response): Promise<{ token: string; session: auth.Session | undefined }> {
    noStore(res);
    const token = sessionTokenOf(req.headers);
    const found = token === undefined ? undefined : await opts.auth.verifySession({ token }, rpcOptions(req));
    if (token === undefined || !found?.valid) throw new ApiError(401, "unauthorized", SESSION_ENDED);
    return { token, session: found.session };
  }

  const router = Router();
  router
    .route("/session")
    .all(routeName("console:session"))
    .post(...jsonBody(4096), async (req: Request, res: Response) => {
      const { key } = parseBody(signInBody, req);
      const ttlSeconds = Math.floor(opts.sessionTtlMs / 1000);
      const signIn = await opts.auth.createSession({ key, ttlSeconds }, rpcOptions(req));
      if (!signIn.valid) throw new ApiError(401, "unauthorized", INVALID_KEY);
      noStore(res);
      res.setHeader("set-cookie", sessionCookie(signIn.token, signIn.session?.expiresAt ? timestampDate(signIn.session.expiresAt) : new Date(0), opts.cookie));
      res.status(201).json(sessionJson(signIn.session, signIn.token));
    })
    .get(async (req: Request, res: Response) => {
      const { token, session } = await liveSession(req, res);
      res.json(sessionJson(session, token));
    })
    .delete(async (req: Request, res: Response) => {
      const token = sessionTokenOf(req.headers);
      if (token !== undefined) {
        if (!csrfPasses(req.method, req.headers, token)) throw csrfRefusal();
        await opts.auth.endSession({ token }, rpcOptions(req));
      }
      noStore(res);
      res.setHeader("set-cookie", clearedCookie(opts.cookie));
      res.status(204).end();
    })
    .all(methodNotAllowed(["GET", "POST", "DELETE"]));
  router
    .route("/health")
    .all(routeName("console:health"))
    .get(async (req: Request, res: Response) => {
      await liveSession(req, res);
      res.json(await opts.health());
    })
    .all(methodNotAllowed(["GET"]));
  app.use(router);
  app.use(() => {
    throw notFound("console API resource");
  });
  app.use(errorHandler(opts.logger));
  return (req, res, ctx) => {
    attachContext(req, ctx);
    app(req, res);
  };
}

/** 403 for a changing request without the session's CSRF token. */
function csrfRefusal(): ApiError {
  return new ApiError(403, "csrf", CSRF_DETAIL);
}
