/**
 * The console's server side with the real services: pages from the build with the prefix in
 * `<base>` and a strict CSP, sign-in → session → `/v1` through the cookie → sign-out.
 */
import { eventually } from "@datahub/runtime/testing";
import { send, startEdgeStack, type EdgeStack } from "./support/edge-stack";
import { consoleCall, signIn, writeConsoleBuild } from "./support/console-fixture";

let stack: EdgeStack;
const build = writeConsoleBuild();

beforeAll(async () => {
  stack = await startEdgeStack({ routes: "routes: []\n", env: { DATAHUB_CONSOLE_DIR: build, DATAHUB_CONSOLE_SESSION_TTL_MS: "3600000" } });
}, 60000);
afterAll(() => stack?.stop());

describe("console pages", () => {
  it("redirects the bare prefix to the directory and serves index.html for every page path", async () => {
    const bare = await send(stack.edgeUrl, "GET", "/console?x=1");
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe("/console/?x=1");
    for (const page of ["/console/", "/console/keys", "/console/keys/01a2/usage", "/console/logs"]) {
      const r = await send(stack.edgeUrl, "GET", page);
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(r.text).toContain('<base href="/console/">');
      expect(r.headers["content-security-policy"]).toContain("script-src 'self';");
      expect(r.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(r.headers["cache-control"]).toBe("no-cache");
    }
  });

  it("serves built files compressed, cached for a year, with an ETag that answers 304", async () => {
    const plain = await send(stack.edgeUrl, "GET", "/console/assets/app-abc123.js");
    expect(plain.status).toBe(200);
    expect(plain.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const gz = await send(stack.edgeUrl, "GET", "/console/assets/app-abc123.js", { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(Number(gz.headers["content-length"])).toBeLessThan(Number(plain.headers["content-length"]));
    const br = await send(stack.edgeUrl, "GET", "/console/assets/app-abc123.js", { headers: { "accept-encoding": "gzip, br" } });
    expect(br.headers["content-encoding"]).toBe("br");
    const again = await send(stack.edgeUrl, "GET", "/console/assets/app-abc123.js", { headers: { "if-none-match": plain.headers.etag! } });
    expect(again.status).toBe(304);
    expect((await send(stack.edgeUrl, "HEAD", "/console/assets/app-abc123.js")).text).toBe("");
  });
});

describe("console session", () => {
  it("signs in with a key, calls /v1 through the cookie, and signs out", async () => {
    const { key, id, orgId } = await stack.createKey({ scopes: ["keys:*"] });
    const s = await signIn(stack.edgeUrl, key);
    expect(s.body).toMatchObject({ key: { id, orgId, name: "edge test", scopes: ["keys:*"], root: false } });
    expect(s.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(s.body.expiresAt) - Date.now()).toBeGreaterThan(3_500_000);
    expect(s.setCookie).toMatch(/^datahub_console=dhs_[A-Za-z0-9_-]{43}; Max-Age=(3599|3600); Path=\/console; HttpOnly; SameSite=Strict$/);

    const me = await consoleCall(stack.edgeUrl, s, "GET", "/session");
    expect(me.status).toBe(200);
    expect(me.json).toEqual(s.body);
    expect(me.headers["cache-control"]).toBe("no-store");

    const list = await consoleCall(stack.edgeUrl, s, "GET", "/v1/keys");
    expect(list.status).toBe(200);
    expect(list.json.data.map((k: { id: string }) => k.id)).toContain(id);
    expect(list.headers["ratelimit-policy"]).toBeDefined();

    const created = await consoleCall(stack.edgeUrl, s, "POST", "/v1/keys", { name: "from the console", scopes: ["keys:read"] });
    expect(created.status).toBe(201);
    expect(created.json.orgId).toBe(orgId);

    const out = await consoleCall(stack.edgeUrl, s, "DELETE", "/session");
    expect(out.status).toBe(204);
    expect(out.headers["set-cookie"]).toBe("datahub_console=; Max-Age=0; Path=/console; HttpOnly; SameSite=Strict");
    expect((await consoleCall(stack.edgeUrl, s, "GET", "/v1/keys")).status).toBe(401);
    expect((await consoleCall(stack.edgeUrl, s, "GET", "/session")).status).toBe(401);
  });

  it("reports the edge's readiness and each service's gRPC health to a signed-in session", async () => {
    const { key } = await stack.createKey({ scopes: [] });
    expect((await send(stack.edgeUrl, "GET", "/console/api/health")).status).toBe(401);
    const s = await signIn(stack.edgeUrl, key);
    const r = await consoleCall(stack.edgeUrl, s, "GET", "/health");
    expect(r.status).toBe(200);
    // This stack runs no webhooks service: its row says so, and the panel is degraded.
    expect(r.json).toEqual({
      status: "degraded",
      services: [
        { name: "edge", status: "serving", checks: expect.any(Object) },
        { name: "auth", status: "serving" },
        { name: "ratelimit", status: "serving" },
        { name: "audit", status: "serving" },
        { name: "webhooks", status: "unknown" },
      ],
    });
    expect(r.text).not.toContain("127.0.0.1");
  });

  it("logs console calls as /v1 requests of the session's key", async () => {
    const { key, id } = await stack.createKey({ scopes: ["keys:read"] });
    const s = await signIn(stack.edgeUrl, key);
    const r = await consoleCall(stack.edgeUrl, s, "GET", "/v1/keys");
    const requestId = r.headers["x-request-id"]!;
    const rows = await eventually(async () => {
      const found = await stack.logRows(requestId);
      if (found.length === 0) throw new Error("not logged yet");
      return found;
    });
    expect(rows[0]).toMatchObject({ key_id: id, path: "/console/api/v1/keys", route: "/v1/keys", status: 200 });
  });
});
