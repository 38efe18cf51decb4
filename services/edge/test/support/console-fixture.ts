/**
 * A stand-in console build (index.html with the `<base>` the edge rewrites, one hashed asset) and
 * a tiny cookie-carrying client of the console's endpoints, for the edge's console tests. The
 * real build is exercised by the browser tests (test/browser).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { send } from "./edge-stack";

/** Writes a minimal console build; returns its directory. */
export function writeConsoleBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), "datahub-console-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><html lang="en"><head><base href="/console/"><title>DataHub</title><script type="module" src="./assets/app-abc123.js"></script></head><body></body></html>',
  );
  // Over 512 bytes, so the edge keeps compressed forms of it.
  writeFileSync(join(dir, "assets", "app-abc123.js"), `console.log(${JSON.stringify("x".repeat(2000))});\n`);
  return dir;
}

/** A signed-in console session: its cookie header value and CSRF token. */
export interface ConsoleSession {
  cookie: string;
  csrf: string;
  setCookie: string;
  body: any;
}

/** Signs in with `key` at `prefix`; throws unless the edge answers 201. */
export async function signIn(edgeUrl: string, key: string, prefix = "/console"): Promise<ConsoleSession> {
  const r = await send(edgeUrl, "POST", `${prefix}/api/session`, { headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
  if (r.status !== 201) throw new Error(`sign-in: ${r.status} ${r.text}`);
  const setCookie = r.headers["set-cookie"]!;
  return { cookie: setCookie.split(";")[0]!, csrf: r.json.csrfToken, setCookie, body: r.json };
}

/** A console API call carrying the session cookie (and the CSRF token unless `csrf` is false). */
export function consoleCall(edgeUrl: string, s: ConsoleSession, method: string, path: string, body?: unknown, opts: { csrf?: string | false; prefix?: string } = {}) {
  const headers: Record<string, string> = { cookie: s.cookie };
  if (opts.csrf !== false) headers["x-csrf-token"] = opts.csrf ?? s.csrf;
  if (body !== undefined) headers["content-type"] = "application/json";
  return send(edgeUrl, method, `${opts.prefix ?? "/console"}/api${path}`, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
}
