/**
 * DataHub behind the repository's HAProxy config (deploy/compose/haproxy.cfg), for real: TLS ends
 * at the balancer, two edges behind it, active health checks on /readyz. Under steady load from
 * keep-alive clients, both edges are restarted one after the other (SIGTERM, exit, start, back in
 * rotation) and not one request fails; the request log shows the client's address, not the
 * balancer's (docs/operations.md, "Load balancer and TLS").
 */
import { CLIENT_ADDR, startLbStack, type LbStack } from "./support/lb-stack";
import { httpsGet, startLoad } from "./support/https-client";

/** Short, test-sized versions of the production timings (3 s delay, 1 s checks). */
const EDGE_ENV = { DATAHUB_TRUSTED_PROXIES: "127.0.0.3/32", DATAHUB_SHUTDOWN_DELAY_MS: "800", DATAHUB_SHUTDOWN_TIMEOUT_MS: "5000" };
const CLIENTS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: LbStack;
beforeAll(async () => {
  stack = await startLbStack([EDGE_ENV, EDGE_ENV]);
}, 60000);
afterAll(async () => {
  await stack?.stop();
});

it("loses no request while both edges restart one after the other under load", async () => {
  const { balancer, fleet } = stack;
  const started = Date.now();
  const load = startLoad(balancer.url, "/lb/ping", { ...stack.client, clients: CLIENTS, pauseMs: 20, headers: { authorization: `Bearer ${stack.key}` } });
  const before = await balancer.servers();
  const steps: string[] = [];
  const roll = async () => {
    await sleep(1000);
    for (const [i, edge] of fleet.edges.entries()) {
      const name = `edge-${i + 1}`;
      const t0 = Date.now();
      const down = balancer.waitFor(name, "DOWN").then(() => Date.now());
      expect(await edge.stop()).toBe(0);
      const stopped = Date.now();
      // The health check took the edge out on its /readyz 503, while it still served (before
      // DATAHUB_SHUTDOWN_DELAY_MS ended and it closed its port).
      const outAt = await down;
      expect(outAt - t0).toBeLessThan(Number(EDGE_ENV.DATAHUB_SHUTDOWN_DELAY_MS));
      await edge.start();
      await balancer.waitFor(name, "UP");
      const backAt = Date.now();
      const servedBefore = (await balancer.servers())[name]!.http2xx;
      // Back in rotation: it takes requests again.
      await sleep(700);
      expect((await balancer.servers())[name]!.http2xx).toBeGreaterThan(servedBefore);
      steps.push(`${name}: SIGTERM→out of rotation ${outAt - t0} ms, SIGTERM→exit ${stopped - t0} ms, exit→back in rotation ${backAt - stopped} ms`);
    }
  };
  // The load stops whatever happens, so a failed step cannot leave clients running.
  let rolled: unknown;
  await roll().catch((e: unknown) => (rolled = e));
  const result = await load.stop();
  if (rolled !== undefined) throw rolled;
  const after = await balancer.servers();
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `rolling restart through haproxy: ${result.requests} requests in ${seconds.toFixed(1)} s from ${CLIENTS} keep-alive clients ` +
      `(${Math.round(result.requests / seconds)}/s, ${result.connections} client connections), ${result.failed} failed; ` +
      `2xx by edge: edge-1 ${after["edge-1"]!.http2xx - before["edge-1"]!.http2xx}, edge-2 ${after["edge-2"]!.http2xx - before["edge-2"]!.http2xx}; ` +
      `balancer retries ${after["edge-1"]!.retries + after["edge-2"]!.retries}, redispatches ${after["edge-1"]!.redispatches + after["edge-2"]!.redispatches}; ${steps.join("; ")}\n`,
  );

  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
  expect(Object.keys(result.statuses)).toEqual(["200"]);
  expect(result.requests).toBeGreaterThan(100);
  // Keep-alive held: the clients did not reconnect per request (the balancer hid the restarts).
  expect(result.connections).toBe(CLIENTS);
  for (const name of ["edge-1", "edge-2"]) expect(after[name]!.http2xx - before[name]!.http2xx).toBeGreaterThan(50);
  expect(Date.now() - started).toBeLessThan(40000);
}, 60000);

it("shows the client's address in the request log and to the upstream, not the balancer's, and the client's https scheme to the upstream", async () => {
  const r = await httpsGet(`${stack.balancer.url}/lb/whoami`, { ...stack.client, headers: { authorization: `Bearer ${stack.key}` } });
  expect(r.status).toBe(200);
  const log = await stack.logOf(String(r.headers["x-request-id"]));
  expect(log).toMatchObject({ clientIp: CLIENT_ADDR, status: 200, path: "/lb/whoami" });
  const seen = stack.upstream.seen.find((s) => s.url === "/lb/whoami");
  expect(seen?.headers["x-forwarded-for"]).toBe(CLIENT_ADDR);
  // The edge itself is reached over plain HTTP; the balancer reports the client's TLS.
  expect(seen?.headers["x-forwarded-proto"]).toBe("https");
}, 30000);
