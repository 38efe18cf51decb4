/**
 * Where an API key may (headers) and may not (the query string) come from (docs/reference/http-api.md, "Authentication").
 */
import type { IncomingHttpHeaders } from "node:http";

/** Query parameter names that conventionally carry credentials. */
const CREDENTIAL_PARAMS = new Set(["api_key", "apikey", "key", "access_token", "token", "api-key", "x-api-key"]);
/** A value that looks like a DataHub key, well-formed or not. */
const KEY_LIKE = /^(?:bearer\s+)?dhr?_[0-9A-Za-z]/i;

/**
 * The presented key: `Authorization: Bearer <key>` first, else `X-API-Key`. Returns `undefined`
 * when neither is present and `""` when a header is present but carries no usable value.
 */
export function keyFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const authz = headers.authorization;
  if (authz !== undefined) {
    // RFC 7235: the scheme is case-insensitive.
    if (authz.length > 7 && (authz.startsWith("Bearer ") || authz.slice(0, 7).toLowerCase() === "bearer ")) return authz.slice(7).trim();
    return "";
  }
  const x = headers["x-api-key"];
  if (x !== undefined) return (Array.isArray(x) ? x[0] : x)?.trim() ?? "";
  return undefined;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/**
 * True when the query string (without `?`) carries a credential: a parameter named like one
 * (`api_key`, `token`, ...) or any value that looks like a DataHub key. Such requests are refused
 * with 400 so keys do not end up in access logs, browser history and referrers.
 */
export function queryCarriesKey(query: string): boolean {
  if (query.length === 0) return false;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const name = decode(eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
    if (CREDENTIAL_PARAMS.has(name)) return true;
    if (eq !== -1 && KEY_LIKE.test(decode(pair.slice(eq + 1)))) return true;
  }
  return false;
}
