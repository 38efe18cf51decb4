/**
 * The console's session cookie and its CSRF token. The cookie holds the session token
 * (HttpOnly, SameSite=Strict, Path = the console prefix, Secure with TLS), so scripts never see
 * it and it is never sent to proxied routes. The CSRF token is derived from the session token
 * (SHA-256 with a fixed label): the page gets it in the session body and echoes it in
 * `X-CSRF-Token`; another site can neither read the cookie nor the body, so it cannot produce
 * it, and the edge checks it without any stored state.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { parse, serialize } from "cookie";
import type { IncomingHttpHeaders } from "node:http";

/** Name of the session cookie. */
export const SESSION_COOKIE = "datahub_console";
/** What a change without the session's CSRF token is told (problem type `csrf`). */
export const CSRF_DETAIL = "This change needs the console session's CSRF token in the X-CSRF-Token header; reload the console.";
/** Header carrying the CSRF token on changing requests. */
export const CSRF_HEADER = "x-csrf-token";
/** Methods that change nothing: no CSRF token needed. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** The longest Cookie header the edge parses for the console (the header limit bounds it anyway). */
const MAX_COOKIE_HEADER = 8192;

/** Cookie attributes for one console deployment. */
export interface CookieOptions {
  /** The console prefix, e.g. `/console`. */
  path: string;
  secure: boolean;
}

/** The session token the request carries, or undefined. */
export function sessionTokenOf(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers.cookie;
  if (raw === undefined || raw.length > MAX_COOKIE_HEADER) return undefined;
  const value = parse(raw)[SESSION_COOKIE];
  return value === undefined || value === "" ? undefined : value;
}

/** `Set-Cookie` for a new session ending at `expiresAt`. */
export function sessionCookie(token: string, expiresAt: Date, opts: CookieOptions, now = Date.now()): string {
  return serialize(SESSION_COOKIE, token, {
    path: opts.path,
    httpOnly: true,
    sameSite: "strict",
    secure: opts.secure,
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000)),
  });
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedCookie(opts: CookieOptions): string {
  return serialize(SESSION_COOKIE, "", { path: opts.path, httpOnly: true, sameSite: "strict", secure: opts.secure, maxAge: 0 });
}

/** The CSRF token of a session token. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash("sha256").update("datahub-console-csrf\0").update(sessionToken).digest("base64url");
}

/** True when `method` needs no CSRF token, or the request's `X-CSRF-Token` matches the session's. */
export function csrfPasses(method: string | undefined, headers: IncomingHttpHeaders, sessionToken: string): boolean {
  if (SAFE_METHODS.has(method ?? "")) return true;
  const sent = headers[CSRF_HEADER];
  if (typeof sent !== "string") return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const got = Buffer.from(sent);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
