/**
 * The console's answers to bad input and missing parts: one 401 for every refused key, the `/v1`
 * body rules at sign-in, pages that say how to build the console when it was not built, and a
 * console that can be turned off or moved.
 */
import { send, startEdgeStack, type EdgeStack } from "./support/edge-stack";
import { signIn, writeConsoleBuild } from "./support/console-fixture";

const json = { "content-type": "application/json" };

describe("console sign-in with bad input", () => {
  let stack: EdgeStack;
  beforeAll(async () => {
    stack = await startEdgeStack({ routes: "routes: []\n", env: { DATAHUB_CONSOLE_DIR: "/nonexistent/datahub-console" } });
  }, 60000);
  afterAll(() => stack?.stop());

  it("answers every refused key with the same 401", async () => {
    const { key, id, orgId } = await stack.createKey();
    await stack.auth.revokeKey({ orgId, id });
    const details = new Set<string>();
    for (const k of ["dh_nope", key, "dh_" + "A".repeat(38), "x"]) {
      const r = await send(stack.edgeUrl, "POST", "/console/api/session", { headers: json, body: JSON.stringify({ key: k }) });
      expect(r.status).toBe(401);
      expect(r.headers["content-type"]).toBe("application/problem+json");
      expect(r.headers["set-cookie"]).toBeUndefined();
      details.add(r.json.detail);
    }
    expect(details.size).toBe(1);
  });

  it("refuses bodies that are not the documented JSON", async () => {
    const cases: Array<[Record<string, string>, string, number]> = [
      [{ "content-type": "text/plain" }, "dh_x", 415],
      [json, "{", 400],
      [json, "{}", 400],
      [json, '{"key":"dh_x","extra":1}', 400],
      [json, '{"key":42}', 400],
      [json, JSON.stringify({ key: "k".repeat(5000) }), 413],
    ];
    for (const [headers, body, status] of cases) {
      const r = await send(stack.edgeUrl, "POST", "/console/api/session", { headers, body });
      expect([body.slice(0, 20), r.status]).toEqual([body.slice(0, 20), status]);
      expect(r.json.type).toMatch(/^https:\/\/datahub\.dev\/problems\//);
      if (status === 400) expect(r.json.errors.length).toBeGreaterThan(0);
    }
  });

  it("serves a 503 that says how to build the console when it was not built, and still signs in", async () => {
    const r = await send(stack.edgeUrl, "GET", "/console/");
    expect(r.status).toBe(503);
    expect(r.json.detail).toContain("npm run build -w @datahub/console");
    const { key } = await stack.createKey();
    await expect(signIn(stack.edgeUrl, key)).resolves.toBeDefined();
  });
});

describe("console placement", () => {
  it("moves to DATAHUB_CONSOLE_PATH, and is gone with DATAHUB_CONSOLE=false", async () => {
    const moved = await startEdgeStack({ routes: "routes: []\n", env: { DATAHUB_CONSOLE_DIR: writeConsoleBuild(), DATAHUB_CONSOLE_PATH: "/ops/admin" } });
    try {
      const page = await send(moved.edgeUrl, "GET", "/ops/admin/keys");
      expect(page.status).toBe(200);
      expect(page.text).toContain('<base href="/ops/admin/">');
      // Not the console any more: an ordinary path, which needs a key like any other.
      expect((await send(moved.edgeUrl, "GET", "/console/")).status).toBe(401);
      const { key } = await moved.createKey();
      const s = await signIn(moved.edgeUrl, key, "/ops/admin");
      expect(s.setCookie).toContain("Path=/ops/admin;");
    } finally {
      await moved.stop();
    }
    const off = await startEdgeStack({ routes: "routes: []\n", env: { DATAHUB_CONSOLE: "false", DATAHUB_CONSOLE_DIR: writeConsoleBuild() } });
    try {
      expect((await send(off.edgeUrl, "GET", "/console/")).status).toBe(401);
      expect((await send(off.edgeUrl, "POST", "/console/api/session", { headers: json, body: "{}" })).status).toBe(401);
      const { key } = await off.createKey();
      expect((await send(off.edgeUrl, "GET", "/console/", { key })).status).toBe(404);
    } finally {
      await off.stop();
    }
  }, 60000);
});

describe("console with the services down", () => {
  it("answers 503 (never 401 or a hang) for sign-in, session reads and the health panel", async () => {
    const split = await startEdgeStack({ routes: "routes: []\n", mode: "split", env: { DATAHUB_CONSOLE_DIR: writeConsoleBuild(), DATAHUB_RPC_TIMEOUT_MS: "500" } });
    try {
      const { key } = await split.createKey();
      const s = await signIn(split.edgeUrl, key);
      await split.services.stop();
      for (const [method, path, body] of [
        ["POST", "/console/api/session", JSON.stringify({ key })],
        ["GET", "/console/api/session", undefined],
        ["GET", "/console/api/health", undefined],
        ["GET", "/console/api/v1/keys", undefined],
      ] as const) {
        const r = await send(split.edgeUrl, method, path, { headers: { cookie: s.cookie, ...json }, body });
        expect([path, r.status]).toEqual([path, 503]);
        expect(r.json.type).toMatch(/^https:\/\/datahub\.dev\/problems\//);
        expect(r.headers["retry-after"]).toBe("1");
      }
    } finally {
      await split.stop();
    }
  }, 60000);
});
