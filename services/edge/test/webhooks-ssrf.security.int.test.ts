/**
 * The SSRF guard through the whole stack: `POST /v1/webhooks` on the real edge, the real webhooks
 * service (PostgreSQL, Redis, gRPC) with no allow-listed range. IPv6 URLs that embed a loopback or
 * metadata IPv4 address are refused at creation with a 400 problem naming the embedded address
 * (docs/webhooks.md, "SSRF guard"); a public embedded address is accepted.
 */
import { send, startEdgeStack, type EdgeStack } from "./support/edge-stack";

let stack: EdgeStack;
let key: string;

beforeAll(async () => {
  stack = await startEdgeStack({ routes: "routes: []\n", webhooks: true, env: { DATAHUB_WEBHOOKS_ALLOW_CIDRS: "" } });
  key = (await stack.createKey({ scopes: ["webhooks:*"] })).key;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const createEndpoint = (url: string) =>
  send(stack.edgeUrl, "POST", "/v1/webhooks", {
    key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url, events: ["*"] }),
  });

test.each([
  ["IPv4-compatible metadata address", "http://[::169.254.169.254]/", /\(IPv4-compatible\) embeds the linkLocal IPv4 address 169\.254\.169\.254/],
  ["IPv4-compatible loopback with a port", "http://[::7f00:1]:8080/", /\(IPv4-compatible\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["NAT64 of loopback", "http://[64:ff9b::7f00:1]/", /\(NAT64 64:ff9b::\/96\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["6to4 of loopback", "http://[2002:7f00:1::]/", /\(6to4\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["Teredo with a loopback client", "http://[2001:0:808:808::80ff:fffe]/", /\(Teredo\) embeds the loopback IPv4 address 127\.0\.0\.1/],
])("%s (%s) → 400 naming the embedded address", async (_name, url, reason) => {
  const r = await createEndpoint(url);
  expect(r.status).toBe(400);
  expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(r.json.type).toBe("https://datahub.dev/problems/invalid-request");
  expect(r.json.detail).toMatch(/^url: refused by the SSRF guard: address /);
  expect(r.json.detail).toMatch(reason);
});

test("a NAT64 address of a public IPv4 address is accepted", async () => {
  const r = await createEndpoint("https://[64:ff9b::808:808]/hook");
  expect(r.status).toBe(201);
  expect(r.json.url).toBe("https://[64:ff9b::808:808]/hook");
});

test("the refusals are client errors: nothing at error level in the log", () => {
  expect(stack.logs()).not.toMatch(/"level":"(error|fatal)"/);
});
