/**
 * The edge with the real services, security of the boundary between clients and upstreams
 * (docs/security.md): a path matches one route and the upstream receives exactly
 * that path, whatever encoding tricks the client tries; headers with `_` and client-sent
 * forwarding headers never reach the upstream; a peer outside DATAHUB_TRUSTED_PROXIES cannot
 * choose its client address. Requests go out as raw bytes so that no client normalises them.
 */
import { eventually } from "@datahub/runtime/testing";
import { rawRequest, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let stack: EdgeStack;
/** A key for `/api` but not `/api/admin`, and one for both. */
let userKey: string;
let adminKey: string;

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startEdgeStack({
    routes: `
routes:
  - { name: api, path: /api, upstream: "${upstream.url}" }
  - { name: admin, path: /api/admin, upstream: "${upstream.url}", scopes: ["admin:write"] }
  - { name: public, path: /api/public, upstream: "${upstream.url}", public: true }
  - { name: files, path: /files, upstream: "${upstream.url}", public: true, allowEncodedSlashes: true }
  - { name: limited, path: /limited, upstream: "${upstream.url}", public: true, rateLimit: { limit: 3, windowSeconds: 60 } }
defaults:
  anonymousRateLimit: { limit: 1000, windowSeconds: 60 }
`,
    // Loopback is not a trusted proxy here: every forwarding header the tests send is a spoof.
    env: { DATAHUB_TRUSTED_PROXIES: "10.0.0.0/8" },
  });
  userKey = (await stack.createKey({ scopes: ["orders:read"] })).key;
  adminKey = (await stack.createKey({ scopes: ["admin:*"] })).key;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

let n = 0;
/** Sends `GET <target>` as raw bytes; returns the status, the request id and what the upstream saw of it (if anything). */
async function get(target: string, opts: { key?: string; headers?: string } = {}) {
  const requestId = `boundary-${++n}`;
  const before = upstream.seen.length;
  const auth = opts.key ? `Authorization: Bearer ${opts.key}\r\n` : "";
  const r = await rawRequest(stack.edgeUrl, `GET ${target} HTTP/1.1\r\nHost: gateway.example\r\nX-Request-Id: ${requestId}\r\n${auth}${opts.headers ?? ""}Connection: close\r\n\r\n`);
  const seen = upstream.seen.slice(before).find((s) => s.headers["x-request-id"] === requestId);
  return { status: r.status, raw: r.raw, requestId, seen };
}

test.each([
  ["an encoded unreserved character", "/api/%61dmin/users"],
  ["mixed-case escapes", "/api/%61%64%6D%69%6e/users"],
  ["a doubled slash", "/api//admin/users"],
  ["a leading doubled slash and escapes", "//api///%61dmin/users"],
  ["an absolute-form target", "http://gateway.example/api/%61dmin/users"],
])("a user key cannot reach /api/admin through %s: 403, nothing forwarded", async (_what, target) => {
  const r = await get(target, { key: userKey });
  expect(r.status).toBe(403);
  expect(r.seen).toBeUndefined();
  const admin = await get(target, { key: adminKey });
  expect([admin.status, admin.seen?.url]).toEqual([200, "/api/admin/users"]);
});

test.each([
  "/api/public/..%2fadmin/users",
  "/api/public%2F..%2Fadmin/users",
  "/api/public%5c..%5cadmin/users",
  "/api/public\\..\\admin/users",
  "/api/./admin/users",
  "/api/public/%2e%2e/admin/users",
  "/api/public/.%2E/admin/users",
  "/api/public/..;/admin/users",
  "/api/public/%zz",
  "/api/public/%00",
  "/api/public%2Fstatus",
  "/files/..%2F..%2Fapi/admin",
  "/files%2Fsecret",
])("%s is refused with 400 invalid-path before any route, key or upstream", async (target) => {
  for (const key of [undefined, userKey, adminKey]) {
    const r = await get(target, { key });
    expect([target, r.status]).toEqual([target, 400]);
    expect(r.raw).toContain('"type":"https://datahub.dev/problems/invalid-path"');
    expect(r.raw).toMatch(/"detail":"The path (must not contain|contains a malformed)/);
    expect(r.seen).toBeUndefined();
  }
});

test("the upstream receives the canonical path that was matched, the query string untouched", async () => {
  const cases: Array<[string, string, string | undefined, string]> = [
    // target, matched route, key, path the upstream received
    ["/api/%70ublic/x%7e", "public", undefined, "/api/public/x~"],
    ["/api//public//x/", "public", undefined, "/api/public/x/"],
    ["/api/%61dmin//users?next=/../admin&p=%2e%2e%2F", "admin", adminKey, "/api/admin/users?next=/../admin&p=%2e%2e%2F"],
    ["/api/%2561dmin", "api", userKey, "/api/%2561dmin"],
    ["/api/caf%c3%a9/{id}", "api", userKey, "/api/caf%C3%A9/%7Bid%7D"],
    ["http://gateway.example/api/public/%78?q=%2e", "public", undefined, "/api/public/x?q=%2e"],
  ];
  for (const [target, route, key, received] of cases) {
    const r = await get(target, { key });
    expect([target, r.status, r.seen?.url]).toEqual([target, 200, received]);
    const rows = await eventually(async () => {
      const found = await stack.logRows(r.requestId);
      return found.length > 0 ? found : undefined;
    });
    expect([target, rows[0]!.path, rows[0]!.route]).toEqual([target, received.split("?")[0], route]);
  }
});

test("a route with allowEncodedSlashes keeps %2F encoded in the path it forwards", async () => {
  const r = await get("/files/reports%2f2024//q1%2Fsummary.pdf");
  expect(r.status).toBe(200);
  expect(r.seen?.url).toBe("/files/reports%2F2024/q1%2Fsummary.pdf");
});

test("a refused path is request-logged as received, with error invalid_path", async () => {
  const r = await get("/api/public/%2e%2e/admin");
  expect(r.status).toBe(400);
  const rows = await eventually(async () => {
    const found = await stack.logRows(r.requestId);
    return found.length > 0 ? found : undefined;
  });
  expect(rows[0]).toMatchObject({ path: "/api/public/%2e%2e/admin", status: 400, error: "invalid_path" });
});

test("headers whose names contain `_` never reach the upstream; ordinary headers do", async () => {
  const r = await get("/api/public/h", {
    headers: "X_DataHub_Key_Id: spoof\r\nX_Forwarded_For: 6.6.6.6\r\nX-Custom_Header: 1\r\nX-Trace-Tag: kept\r\n",
  });
  expect(r.status).toBe(200);
  const names = r.seen!.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
  expect(names.filter((h) => h.includes("_"))).toEqual([]);
  expect(JSON.stringify(r.seen!.rawHeaders)).not.toContain("spoof");
  expect(JSON.stringify(r.seen!.rawHeaders)).not.toContain("6.6.6.6");
  expect(r.seen!.headers["x-trace-tag"]).toBe("kept");
});

test("an untrusted peer's X-Forwarded-For, Forwarded and X-Real-IP are spoofs: dropped, and the socket address is the client", async () => {
  const r = await get("/api/public/who", {
    headers: "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7\r\nForwarded: for=8.8.8.8;proto=https\r\nX-Real-IP: 9.9.9.9\r\nX-Forwarded-Port: 1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n",
  });
  expect(r.status).toBe(200);
  const h = r.seen!.headers;
  expect(h["x-forwarded-for"]).toBe("127.0.0.1");
  expect(h["x-forwarded-proto"]).toBe("http");
  expect(h["x-forwarded-host"]).toBe("gateway.example");
  expect(h.forwarded).toBeUndefined();
  expect(h["x-real-ip"]).toBeUndefined();
  expect(h["x-forwarded-port"]).toBeUndefined();
  const rows = await eventually(async () => {
    const found = await stack.logRows(r.requestId);
    return found.length > 0 ? found : undefined;
  });
  expect(rows[0]!.client_ip).toBe("127.0.0.1");
});

test("an untrusted peer cannot escape its per-IP limit by rotating X-Forwarded-For or Forwarded", async () => {
  const spoofs = ["X-Forwarded-For: 1.1.1.1\r\n", "X-Forwarded-For: 2.2.2.2\r\n", "Forwarded: for=3.3.3.3\r\n", "X-Forwarded-For: 4.4.4.4\r\n"];
  const statuses: number[] = [];
  for (const headers of spoofs) statuses.push((await get("/limited/x", { headers })).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
});

test("/v1 is recognised on the canonical path, and the management API routes on it too", async () => {
  const { key } = await stack.createKey();
  const r = await get("/%761//keys?limit=1", { key });
  expect(r.status).toBe(200);
  expect(r.raw).toContain('"data"');
  expect((await get("/v1/keys/%2e%2e/orgs", { key })).status).toBe(400);
});
