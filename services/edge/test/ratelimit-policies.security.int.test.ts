/**
 * Policies through a real edge: the anonymous per-IP limit stops key guessing (an IP over it gets
 * 429 for any key the edge has not verified already, so valid and invalid guesses look the same),
 * a key's own limit and the route's both apply (the headers name the closest), and
 * Retry-After is exact to the second.
 */
import { generateApiKey } from "@datahub/runtime";
import { send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let stack: EdgeStack;

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startEdgeStack({
    routes: `
routes:
  - { name: echo, path: /echo, upstream: "${upstream.url}" }
  - { name: metered, path: /metered, upstream: "${upstream.url}", rateLimit: { limit: 3, windowSeconds: 60, algorithm: gcra } }
  - { name: second, path: /second, upstream: "${upstream.url}", rateLimit: { limit: 1, windowSeconds: 1, algorithm: sliding-log } }
defaults:
  anonymousRateLimit: { limit: 3, windowSeconds: 60 }
`,
    // A short freshness, so the last test can show a verified key being re-verified is not held back.
    env: { DATAHUB_RATELIMIT_STRICT_ANONYMOUS: "true", DATAHUB_AUTH_CACHE_TTL_MS: "300" },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

it("the key's own limit and the route's both apply; the header names the closest", async () => {
  const { key } = await stack.createKey({ rateLimit: { limit: 2, windowSeconds: 60 } });
  const a = await send(stack.edgeUrl, "GET", "/metered", { key });
  expect(a.status).toBe(200);
  expect(a.headers["ratelimit-policy"]).toBe('"key";q=2;w=60, "route";q=3;w=60');
  expect(a.headers.ratelimit).toBe('"key";r=1;t=60'); // 1 of 2 left beats 2 of 3
  expect((await send(stack.edgeUrl, "GET", "/metered", { key })).status).toBe(200);
  const denied = await send(stack.edgeUrl, "GET", "/metered", { key });
  expect(denied.status).toBe(429);
  expect(denied.headers.ratelimit).toMatch(/^"key";r=0;t=\d+$/);
  expect(Number(denied.headers["retry-after"])).toBeGreaterThanOrEqual(59);
  // The route's limit counts per key: another key has its own.
  const other = await stack.createKey();
  expect((await send(stack.edgeUrl, "GET", "/metered", { key: other.key })).headers.ratelimit).toMatch(/^"route";r=2;t=\d+$/);
});

it("Retry-After is exact to the second: waiting it out is enough", async () => {
  const { key } = await stack.createKey();
  expect((await send(stack.edgeUrl, "GET", "/second", { key })).status).toBe(200);
  const denied = await send(stack.edgeUrl, "GET", "/second", { key });
  expect(denied.status).toBe(429);
  expect(denied.headers["retry-after"]).toBe("1");
  await new Promise((r) => setTimeout(r, 1000));
  expect((await send(stack.edgeUrl, "GET", "/second", { key })).status).toBe(200);
});

// Last: it leaves 127.0.0.1 over its anonymous limit, which holds back keys this edge has not verified.
it("an IP over its anonymous limit cannot tell valid from invalid keys the edge has not verified yet", async () => {
  const cached = await stack.createKey();
  expect((await send(stack.edgeUrl, "GET", "/echo", { key: cached.key })).status).toBe(200); // verified, cached
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await send(stack.edgeUrl, "GET", "/echo", { key: generateApiKey() })).status);
  expect(statuses).toEqual([401, 401, 401, 429]);

  const fresh = await stack.createKey(); // valid, but never seen by this edge
  const validGuess = await send(stack.edgeUrl, "GET", "/echo", { key: fresh.key });
  const invalidGuess = await send(stack.edgeUrl, "GET", "/echo", { key: generateApiKey() });
  expect(validGuess.status).toBe(429);
  expect(invalidGuess.status).toBe(429);
  expect(validGuess.json.type).toBe(invalidGuess.json.type);
  expect(validGuess.headers["ratelimit-policy"]).toBe('"anonymous";q=3;w=60');
  // A key the edge already verified is not held back by its IP's anonymous limit, not even while
  // its entry, past its freshness, is being verified again.
  expect((await send(stack.edgeUrl, "GET", "/echo", { key: cached.key })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 400));
  expect((await send(stack.edgeUrl, "GET", "/echo", { key: cached.key })).status).toBe(200);
});
