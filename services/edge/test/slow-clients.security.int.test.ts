/**
 * Slow clients (slow-loris) against the real edge over raw TCP, with shortened settings: headers
 * trickled one byte every 200 ms are cut with a 408 problem shortly after
 * DATAHUB_HEADERS_TIMEOUT_MS, a trickled body shortly after DATAHUB_REQUEST_TIMEOUT_MS, a silent
 * connection likewise; a client that finishes in time is served, and an idle keep-alive
 * connection is closed quietly after DATAHUB_KEEPALIVE_TIMEOUT_MS (docs/security.md).
 */
import { connect } from "node:net";
import { eventually } from "@datahub/runtime/testing";
import { startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

const HEADERS_MS = 1000;
const REQUEST_MS = 2000;
const KEEPALIVE_MS = 1500;
/** How late a cut may come: node's sweep interval (100 ms here) plus scheduling on a busy machine. */
const SLACK_MS = 1000;

let upstream: Upstream;
let stack: EdgeStack;
let port: number;
let key: { key: string; id: string };

beforeAll(async () => {
  upstream = await startUpstream();
  stack = await startEdgeStack({
    routes: `routes:\n  - { name: open, path: /open, upstream: '${upstream.url}', public: true }\ndefaults:\n  anonymousRateLimit: { limit: 1000, windowSeconds: 60 }\n`,
    env: {
      DATAHUB_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      DATAHUB_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      DATAHUB_KEEPALIVE_TIMEOUT_MS: String(KEEPALIVE_MS),
    },
  });
  port = Number(new URL(stack.edgeUrl).port);
  key = await stack.createKey({ scopes: ["*"] });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await upstream?.close();
});

/** What the client saw: everything the edge sent, and when the edge closed (ms after the first write). */
interface Seen {
  raw: string;
  status: number;
  closedAfterMs: number;
}

/**
 * Opens a connection and writes `chunks` one by one, `gapMs` apart (the first at once), stopping
 * when the edge closes the connection; resolves when it is closed (by the edge or after `endAfterMs`).
 */
function trickle(chunks: string[], gapMs: number, endAfterMs = 15_000): Promise<Seen> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let raw = "";
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on("data", (d: Buffer) => (raw += d.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ raw, status: Number(raw.slice(9, 12)), closedAfterMs: performance.now() - started });
    });
    socket.on("connect", () => {
      started = performance.now();
      setTimeout(() => socket.destroy(), endAfterMs).unref();
      let i = 0;
      const next = () => {
        if (socket.destroyed || i >= chunks.length) return;
        socket.write(chunks[i++]!);
        timer = setTimeout(next, gapMs);
      };
      next();
    });
  });
}

const bytes = (s: string) => [...s];
const problemOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));

function expectTimeoutProblem(seen: Seen, settingMs: number): void {
  expect(seen.status).toBe(408);
  expect(seen.raw).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/);
  expect(seen.raw).toMatch(/\r\nconnection: close\r\n/);
  expect(problemOf(seen.raw)).toMatchObject({ type: "https://datahub.dev/problems/request-timeout", title: "Request Timeout", status: 408 });
  expect(seen.closedAfterMs).toBeGreaterThanOrEqual(settingMs - 50);
  expect(seen.closedAfterMs).toBeLessThan(settingMs + SLACK_MS);
}

test("headers sent one byte every 200 ms are cut with a 408 problem after the headers timeout", async () => {
  const seen = await trickle(bytes("GET /open/slow-headers HTTP/1.1\r\nHost: x\r\nUser-Agent: slowloris\r\n\r\n"), 200);
  expectTimeoutProblem(seen, HEADERS_MS);
  expect(upstream.seen.some((s) => s.url.includes("slow-headers"))).toBe(false);
});

test("a connection that sends nothing is cut after the headers timeout too", async () => {
  expectTimeoutProblem(await trickle([], 0), HEADERS_MS);
});

/** The request-log rows of the answer in `seen` (by its X-Request-Id), once audit has them. */
async function logRowsOf(seen: Seen): Promise<Array<Record<string, unknown>>> {
  const requestId = /\r\nx-request-id: ([^\r]+)\r\n/.exec(seen.raw)![1]!;
  return eventually(async () => {
    const rows = await stack.logRows(requestId);
    return rows.length > 0 ? rows : undefined;
  }, 5000);
}

const slowBody = (path: string, type: string, auth = "") =>
  trickle([`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 100\r\n${auth}\r\n`, ...bytes("x".repeat(100))], 200);

test.each([
  ["a proxied route", "/open/slow-body", "application/octet-stream", false],
  ["the /v1 API", "/v1/keys", "application/json", true],
])("a body sent one byte every 200 ms to %s is cut with a 408 after the request timeout", async (_name, path, type, withKey) => {
  const seen = await slowBody(path, type, withKey ? `Authorization: Bearer ${key.key}\r\n` : "");
  expectTimeoutProblem(seen, REQUEST_MS);
  // The exchange's own record: its request id, path and key, once, as a 408.
  const rows = await logRowsOf(seen);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ method: "POST", path, status: 408, error: "request_timeout", key_id: withKey ? key.id : "" });
});

test("a body still trickling after its request was answered (401) is cut without a second answer", async () => {
  const seen = await slowBody("/v1/orgs", "application/json");
  expect(seen.raw.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(["HTTP/1.1 401"]);
  expect(seen.closedAfterMs).toBeLessThan(REQUEST_MS + SLACK_MS);
});

test("a 408 before any request line is logged too (method \"-\")", async () => {
  const rows = await logRowsOf(await trickle(bytes("GET /open/logged HTTP/1.1\r\nHost: x\r\n\r\n"), 200));
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ method: "-", status: 408, error: "request_timeout" });
});

test("a client that finishes in time is served, however it spreads its bytes", async () => {
  const head = "POST /open/in-time HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n";
  // Headers in 10 pieces over ~0.5 s, the body in 5 pieces: the whole request within ~1.5 s.
  const pieces = head.match(/.{1,8}/gs)!;
  const headChunks = Array.from({ length: 10 }, (_, i) => pieces.slice(Math.floor((i * pieces.length) / 10), Math.floor(((i + 1) * pieces.length) / 10)).join(""));
  const seen = await trickle([...headChunks, ..."xxxxxxxxxx".match(/.{2}/g)!], 100);
  expect(seen.status).toBe(200);
  expect(upstream.seen.find((s) => s.url === "/open/in-time")?.body).toBe("xxxxxxxxxx");
});

test("an idle keep-alive connection outlives the headers timeout, then closes quietly", async () => {
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
  // Second request after 1.2 s of idling: longer than the headers timeout, shorter than keep-alive.
  const seen = await trickle([get("/open/ka-1"), get("/open/ka-2")], HEADERS_MS + 200);
  expect(seen.raw.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
  // No 408 answer anywhere (a bare "408" could be part of a random request id).
  expect(seen.raw).not.toMatch(/^HTTP\/1\.1 408/m);
  // Closed by the keep-alive timeout (node adds up to 1 s of grace) after the second answer.
  expect(seen.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_MS + 200 + KEEPALIVE_MS - 50);
  expect(seen.closedAfterMs).toBeLessThan(HEADERS_MS + 200 + KEEPALIVE_MS + 1000 + SLACK_MS);
});

test("none of it was logged at error level", () => {
  expect(stack.logs()).not.toMatch(/"level":"(error|fatal)"/);
});
