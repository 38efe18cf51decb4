/**
 * How the console talks to the edge: the session endpoints (`{console}/api/session`, `/health`)
 * with fetch, and every `/v1` call through the typed SDK at `{console}/api`, authenticated by the
 * session cookie and the CSRF header. The key typed at sign-in goes to the edge once and is never
 * kept.
 */
import { createDataHubClient, DataHubError, type DataHubClient, type Problem } from "@datahub/client";

/** `http://host/console/api`: below the page's `<base>`, which the edge sets to the console's path. */
export const API_URL = new URL("api", document.baseURI).href;

/** The signed-in key, as the edge describes the session (never the key's secret). */
export interface Session {
  csrfToken: string;
  expiresAt: string;
  key: { id: string; orgId: string; name: string; scopes: string[]; root: boolean };
}

/** One row of the health panel. */
export interface ServiceHealth {
  name: string;
  status: "serving" | "not_serving" | "unknown" | "unreachable";
  checks?: Record<string, boolean>;
}

/** The overview's health panel. */
export interface HealthReport {
  status: "ready" | "degraded";
  services: ServiceHealth[];
}

/** A non-2xx answer (or none) as the SDK's error, so every page handles one error type. */
async function failure(res: Response | undefined, cause?: unknown): Promise<DataHubError> {
  if (res === undefined) {
    return new DataHubError({ status: 0, type: "network-error", title: "Network error", detail: "The gateway could not be reached; check your connection and retry.", cause });
  }
  let p: Partial<Problem> = {};
  try {
    p = (await res.json()) as Partial<Problem>;
  } catch {
    // Not a problem document (a proxy's error page): the status says enough.
  }
  return new DataHubError({
    status: res.status,
    type: p.type ?? "about:blank",
    title: p.title ?? res.statusText,
    detail: p.detail ?? `The gateway answered ${res.status}.`,
    requestId: p.requestId ?? res.headers.get("x-request-id") ?? undefined,
    errors: p.errors,
  });
}

async function call<T>(method: string, path: string, init: { body?: unknown; csrf?: string } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.csrf !== undefined) headers["x-csrf-token"] = init.csrf;
  let res: Response;
  try {
    res = await fetch(`${API_URL}${path}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), credentials: "same-origin" });
  } catch (err) {
    throw await failure(undefined, err);
  }
  if (!res.ok) throw await failure(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Exchanges an API key for a session (the cookie is set by the edge). */
export const signIn = (key: string): Promise<Session> => call("POST", "/session", { body: { key } });
/** The live session, or a 401 DataHubError. */
export const currentSession = (): Promise<Session> => call("GET", "/session");
/** Ends the session on the edge. */
export const signOut = (csrf: string): Promise<void> => call("DELETE", "/session", { csrf });
/** The edge's and every service's health. */
export const healthReport = (): Promise<HealthReport> => call("GET", "/health");

/** The SDK for a session: no key, the cookie authenticates; changes carry the CSRF token. */
export function clientFor(session: Session): DataHubClient {
  return createDataHubClient({ url: API_URL, headers: { "x-csrf-token": session.csrfToken }, retries: false });
}
