/**
 * Micro-benchmark of the edge's per-request path and client-address work (CPU only, one thread,
 * a few seconds; no servers):
 *   node --import tsx bench/edge-paths.ts
 * - what the pipeline did with `req.url` before the canonical path (split off the query, test the
 *   old dot-segment regex) against what it does now (`RequestTarget.parse`, whose fast path is
 *   one sticky regex scan that also finds the query), on plain URLs with and without a query,
 *   and on paths it rewrites or refuses;
 * - `TrustedProxies.clientIp` for an untrusted peer and for one and two trusted hops, against
 *   reading the socket address alone (what runs with DATAHUB_TRUSTED_PROXIES unset).
 * Prints ns per call, best of EDGE_PATHS_ROUNDS (default 7) interleaved rounds: the machine is shared.
 */
import { peerAddress, TrustedProxies } from "../services/edge/src/client-ip";
import { RequestTarget } from "../services/edge/src/proxy/canonical-path";

const ROUNDS = Number(process.env.EDGE_PATHS_ROUNDS ?? 7);
const CALLS = 1_000_000;
/** The check `pipeline.ts` ran on every path before the canonical path replaced it. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|\\/i;

let sink = 0;

/** ns per call of one round of `fn` over the inputs, round-robin. */
function round(inputs: readonly string[], fn: (s: string) => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (fn(inputs[i % inputs.length]!)) sink++;
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

/** Best ns per call of each case, the cases interleaved round by round (load on a shared machine drifts). */
function measure(cases: Array<[string, readonly string[], (s: string) => unknown]>): Array<[string, number]> {
  const best = cases.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++) cases.forEach(([, inputs, fn], i) => (best[i] = Math.min(best[i]!, round(inputs, fn))));
  return cases.map(([name], i) => [name, best[i]!]);
}

const urls = ["/bench/item", "/api/orders/42?x=1&y=2", "/v1/keys/0190f3a0-0000-7000-8000-000000000000", "/api/orders/42/items/7/notes.json", "/v1/logs?limit=100"];
const rewritten = ["/api/%61dmin/users", "/api//orders/42?x=1", "/x/caf%c3%a9/{id}"];

/** What `edgeRequest` did with `req.url` before: split off the query, then the dot-segment check. */
function before(url: string): number {
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? "" : url.slice(q);
  if (path.charCodeAt(0) !== 47 || DOT_SEGMENT.test(path)) return -1;
  return path.length + search.length;
}

const target = new RequestTarget();
/** What it does now (pipeline.ts): the canonical path and the query as received, in one scan when already canonical. */
function now(url: string): number {
  target.parse(url);
  return target.refusal === undefined ? target.path.length + target.search.length : -1;
}

const proxies = new TrustedProxies(["10.0.0.0/8", "192.168.0.0/16"]);
const socket = { remoteAddress: "::ffff:203.0.113.9" };
const clients = Array.from({ length: 1000 }, (_, i) => `198.51.${i >> 8}.${i & 255}`);

const rows = measure([
  ["before: query split + dot-segment regex", urls, before],
  ["now: RequestTarget.parse", urls, now],
  ["now, on paths it rewrites", rewritten, now],
  ["now, on a refused path (..%2f)", ["/api/public/..%2fadmin"], now],
  ["socket address only (no trusted proxies)", clients, () => peerAddress(socket)],
  ["clientIp, untrusted peer", clients, () => proxies.clientIp("203.0.113.9", { "x-forwarded-for": "6.6.6.6" })],
  ["clientIp, one trusted hop (1,000 clients)", clients, (c) => proxies.clientIp("10.0.0.5", { "x-forwarded-for": c })],
  ["clientIp, two trusted hops (1,000 clients)", clients, (c) => proxies.clientIp("10.0.0.5", { "x-forwarded-for": c + ", 192.168.1.7" })],
]);

console.log(`node ${process.version}, ${CALLS.toLocaleString("en")} calls per round, best of ${ROUNDS} rounds`);
for (const [name, ns] of rows) console.log(`${name.padEnd(46)} ${ns.toFixed(1).padStart(8)} ns/call`);
if (sink < 0) console.log(sink);
