/**
 * The console's trust boundary with the real services: changes need the session's CSRF token,
 * the session dies with its key and at sign-out, the console API takes no key headers, the
 * session token is stored only as a hash and never logged, and sign-in is rate limited per client.
 */
import pg from "pg";
import { send, startEdgeStack, type EdgeStack } from "./support/edge-stack";
import { consoleCall, signIn, writeConsoleBuild } from "./support/console-fixture";

let stack: EdgeStack;

beforeAll(async () => {
  stack = await startEdgeStack({
    routes: "routes: []\ndefaults:\n  anonymousRateLimit: { limit: 8, windowSeconds: 60 }\n",
    env: { DATAHUB_CONSOLE_DIR: writeConsoleBuild(), DATAHUB_CONSOLE_SECURE_COOKIE: "true", DATAHUB_CONSOLE_SESSION_TTL_MS: "1500" },
  });
}, 60000);
afterAll(() => stack?.stop());

describe("console security", () => {
  it("refuses a change without the session's CSRF token, and changes nothing", async () => {
    const { key } = await stack.createKey({ scopes: ["keys:*"] });
    const a = await signIn(stack.edgeUrl, key);
    const b = await signIn(stack.edgeUrl, key);
    for (const csrf of [false, "", "x".repeat(43), b.csrf] as const) {
      const r = await consoleCall(stack.edgeUrl, a, "POST", "/v1/keys", { name: "forged" }, { csrf });
      expect(r.status).toBe(403);
      expect(r.json.type).toBe("https://datahub.dev/problems/csrf");
    }
    const signOut = await consoleCall(stack.edgeUrl, a, "DELETE", "/session", undefined, { csrf: false });
    expect(signOut.status).toBe(403);
    const keys = await consoleCall(stack.edgeUrl, a, "GET", "/v1/keys");
    expect(keys.json.data.map((k: { name: string }) => k.name)).not.toContain("forged");
  });

  it("marks the cookie Secure when configured, and ends the session at its TTL", async () => {
    const { key } = await stack.createKey();
    const s = await signIn(stack.edgeUrl, key);
    expect(s.setCookie).toContain("; Secure");
    expect((await consoleCall(stack.edgeUrl, s, "GET", "/v1/keys")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const late = await consoleCall(stack.edgeUrl, s, "GET", "/v1/keys");
    expect(late.status).toBe(401);
  });

  it("ends every session of a key when the key is revoked", async () => {
    const { key, id, orgId } = await stack.createKey({ scopes: ["keys:*"] });
    const s = await signIn(stack.edgeUrl, key);
    await stack.auth.revokeKey({ orgId, id });
    expect((await consoleCall(stack.edgeUrl, s, "GET", "/v1/keys")).status).toBe(401);
    expect((await consoleCall(stack.edgeUrl, s, "GET", "/session")).status).toBe(401);
  });

  it("accepts only the session cookie under the console API, not key headers", async () => {
    const { key } = await stack.createKey();
    const r = await send(stack.edgeUrl, "GET", "/console/api/v1/keys", { key });
    expect(r.status).toBe(401);
    const inQuery = await send(stack.edgeUrl, "GET", `/console/api/v1/keys?api_key=${key}`);
    expect(inQuery.status).toBe(400);
  });

  it("acts with the session key's scopes and org, never more", async () => {
    const { key } = await stack.createKey({ scopes: ["logs:read"] });
    const s = await signIn(stack.edgeUrl, key);
    expect((await consoleCall(stack.edgeUrl, s, "GET", "/v1/keys")).status).toBe(403);
    expect((await consoleCall(stack.edgeUrl, s, "GET", "/v1/orgs")).status).toBe(403);
  });

  it("stores only the token's hash and never logs the key or the token", async () => {
    const { key } = await stack.createKey();
    const s = await signIn(stack.edgeUrl, key);
    const token = s.cookie.slice("datahub_console=".length);
    const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
    try {
      const rows = (await pool.query("SELECT * FROM auth.console_sessions")).rows;
      const stored = JSON.stringify(rows);
      expect(rows.length).toBeGreaterThan(0);
      expect(stored).not.toContain(token);
      expect(stored).not.toContain(token.slice(4));
      expect(stored).not.toContain(key);
    } finally {
      await pool.end();
    }
    expect(stack.logs()).not.toContain(token.slice(4));
    expect(stack.logs()).not.toContain(key);
    expect(JSON.stringify(s.body)).not.toContain(key);
  });

  it("keeps paths below the console canonical: dot segments leave it, encoded slashes are refused", async () => {
    expect((await send(stack.edgeUrl, "GET", "/console/../v1/keys")).status).toBe(401);
    expect((await send(stack.edgeUrl, "GET", "/console/assets/..%2f..%2fpackage.json")).status).toBe(400);
    expect((await send(stack.edgeUrl, "GET", "/console/assets/missing.js")).status).toBe(404);
    expect((await send(stack.edgeUrl, "POST", "/console/keys")).status).toBe(405);
  });

  it("answers no CORS preflight under the console", async () => {
    const r = await send(stack.edgeUrl, "OPTIONS", "/console/api/v1/keys", { headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("limits sign-in attempts per client address", async () => {
    let limited = 0;
    for (let i = 0; i < 12; i++) {
      const r = await send(stack.edgeUrl, "POST", "/console/api/session", { headers: { "content-type": "application/json" }, body: JSON.stringify({ key: "dh_guess" }) });
      expect([401, 429]).toContain(r.status);
      if (r.status === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);
  });
});
