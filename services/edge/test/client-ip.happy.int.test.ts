/**
 * The edge with the real services behind trusted proxies (DATAHUB_TRUSTED_PROXIES): the client
 * address taken from X-Forwarded-For or Forwarded is what the per-IP limits count, what the
 * request log records and the one X-Forwarded-For entry the upstream receives
 * (docs/security.md, "Client addresses"). The test itself plays the proxy on
 * 127.0.0.1; 10.0.0.0/8 stands for a second tier of proxies.
 */
import { eventually } from "@datahub/runtime/testing";
import { send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let stack: EdgeStack;

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startEdgeStack({
    routes: `
routes:
  - { name: public, path: /public, upstream: "${upstream.url}", public: true }
  - { name: limited, path: /limited, upstream: "${upstream.url}", public: true, rateLimit: { limit: 2, windowSeconds: 60 } }
defaults:
  anonymousRateLimit: { limit: 1000, windowSeconds: 60 }
`,
    env: { DATAHUB_TRUSTED_PROXIES: "127.0.0.1/32, 10.0.0.0/8" },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

let n = 0;
/** A proxied request with forwarding headers; returns the X-Forwarded-For the upstream got and the logged client_ip. */
async function through(headers: Record<string, string>, path = "/public/x") {
  const requestId = `client-ip-${++n}`;
  const r = await send(stack.edgeUrl, "GET", path, { headers: { ...headers, "x-request-id": requestId } });
  const seen = upstream.seen.find((s) => s.headers["x-request-id"] === requestId);
  const rows = await eventually(async () => {
    const found = await stack.logRows(requestId);
    return found.length > 0 ? found : undefined;
  });
  return { status: r.status, upstreamXff: seen?.headers["x-forwarded-for"], logged: rows[0]!.client_ip as string };
}

test("one trusted hop: the client is the proxy's X-Forwarded-For entry", async () => {
  expect(await through({ "x-forwarded-for": "203.0.113.9" })).toEqual({ status: 200, upstreamXff: "203.0.113.9", logged: "203.0.113.9" });
});

test("two trusted hops: the second proxy's entry is skipped and not sent upstream twice", async () => {
  expect(await through({ "x-forwarded-for": "203.0.113.10, 10.1.2.3" })).toEqual({ status: 200, upstreamXff: "203.0.113.10", logged: "203.0.113.10" });
});

test("entries a client prepended are left of its address and never believed nor forwarded", async () => {
  expect(await through({ "x-forwarded-for": "6.6.6.6, 10.9.9.9, 203.0.113.11, 10.1.2.3" })).toEqual({ status: 200, upstreamXff: "203.0.113.11", logged: "203.0.113.11" });
});

test("every entry trusted: the leftmost is the client", async () => {
  expect(await through({ "x-forwarded-for": "10.0.0.7, 10.1.2.3" })).toEqual({ status: 200, upstreamXff: "10.0.0.7", logged: "10.0.0.7" });
});

test("without X-Forwarded-For, RFC 7239 Forwarded for= is read (quoted IPv6 with a port)", async () => {
  expect(await through({ forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https, for=10.1.2.3' })).toEqual({ status: 200, upstreamXff: "2001:db8:cafe::17", logged: "2001:db8:cafe::17" });
});

test("an unknown or obfuscated hop stops the walk at the proxy that reported it", async () => {
  expect(await through({ forwarded: "for=203.0.113.12, for=unknown" })).toEqual({ status: 200, upstreamXff: "127.0.0.1", logged: "127.0.0.1" });
  expect(await through({ forwarded: "for=203.0.113.12, for=_hidden, for=10.1.2.3" })).toEqual({ status: 200, upstreamXff: "10.1.2.3", logged: "10.1.2.3" });
  expect(await through({ "x-forwarded-for": "203.0.113.12, not-an-ip" })).toEqual({ status: 200, upstreamXff: "127.0.0.1", logged: "127.0.0.1" });
});

test("per-IP limits count the resolved client: each client behind the proxy has its own", async () => {
  const a = { "x-forwarded-for": "198.51.100.1" };
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await send(stack.edgeUrl, "GET", "/limited/x", { headers: a })).status);
  expect(statuses).toEqual([200, 200, 429]);
  // Another client behind the same proxy is not held back by the first one's limit.
  expect((await send(stack.edgeUrl, "GET", "/limited/x", { headers: { "x-forwarded-for": "198.51.100.2" } })).status).toBe(200);
});
