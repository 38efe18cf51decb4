/**
 * Redis stopped under load (a private redis-server for the ratelimit service; the shared one is
 * never touched): each failure mode behaves as configured (open: allowed and counted; closed: 503
 * + Retry-After; local: limit / instances per edge), there is no 500 and no crash, readiness
 * reports Redis down, and checks go back to Redis within 1 s of it returning.
 */
import { eventually } from "@datahub/runtime/testing";
import { startRedisServer, type RedisServer } from "../../ratelimit/test/redis-servers";
import { metricValue, send, startEdgeStack, startUpstream, type EdgeStack, type Upstream } from "./support/edge-stack";

let upstream: Upstream;
let redis: RedisServer;
let stack: EdgeStack;

beforeAll(async () => {
  upstream = await startUpstream();
  redis = await startRedisServer();
  const big = "limit: 1000000, windowSeconds: 60, algorithm: gcra";
  stack = await startEdgeStack({
    routes: `
routes:
  - { name: open, path: /open, upstream: "${upstream.url}", rateLimit: { ${big}, failureMode: open } }
  - { name: closed, path: /closed, upstream: "${upstream.url}", rateLimit: { ${big}, failureMode: closed } }
  - { name: local, path: /local, upstream: "${upstream.url}", rateLimit: { limit: 4, windowSeconds: 60, failureMode: local } }
`,
    env: {
      RATELIMIT_REDIS_URL: redis.url,
      DATAHUB_RATELIMIT_INSTANCES: "2",
      DATAHUB_RATELIMIT_BREAKER_MS: "200",
      DATAHUB_RATELIMIT_RPC_TIMEOUT_MS: "300",
      DATAHUB_RATELIMIT_REDIS_TIMEOUT_MS: "50",
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
  await upstream?.close();
});

interface Sample {
  at: number;
  path: string;
  status: number;
  decided: boolean;
}

it("open / closed / local while Redis is down; no 500; back on Redis within 1 s of its return", async () => {
  const { key } = await stack.createKey();
  const samples: Sample[] = [];
  let running = true;
  const loop = async (path: string) => {
    while (running) {
      const r = await send(stack.edgeUrl, "GET", path, { key });
      samples.push({ at: performance.now(), path, status: r.status, decided: r.headers["ratelimit-policy"] !== undefined });
    }
  };
  const loops = [...Array.from({ length: 4 }, () => loop("/open")), ...Array.from({ length: 4 }, () => loop("/closed"))];
  const ready = async () => (await (await fetch(`${stack.metricsUrl}/readyz`)).json()) as { checks: Record<string, boolean> };

  await eventually(() => samples.filter((s) => s.path === "/closed" && s.status === 200 && s.decided).length >= 20, 10_000);
  expect((await ready()).checks["ratelimit-redis"]).toBe(true);

  await redis.kill();
  const killedAt = performance.now();
  await eventually(() => samples.some((s) => s.at > killedAt && s.path === "/closed" && s.status === 503), 5000);
  const during = await send(stack.edgeUrl, "GET", "/closed", { key });
  expect(during.status).toBe(503);
  expect(during.headers["retry-after"]).toBe("1");
  expect(during.json.type).toContain("ratelimit-unavailable");
  const open = await send(stack.edgeUrl, "GET", "/open", { key });
  expect(open.status).toBe(200);
  expect(open.headers["ratelimit-policy"]).toBeUndefined(); // no decision was made: failed open
  // local: 4 / 2 instances = 2 per edge while Redis is away.
  const local = [];
  for (let i = 0; i < 3; i++) local.push(await send(stack.edgeUrl, "GET", "/local", { key }));
  expect(local.map((r) => r.status)).toEqual([200, 200, 429]);
  expect(local[2]!.headers["ratelimit-policy"]).toBe('"route";q=2;w=60');
  expect(Number(local[2]!.headers["retry-after"])).toBeGreaterThan(0);
  expect((await ready()).checks["ratelimit-redis"]).toBe(false);

  await new Promise((r) => setTimeout(r, 300)); // a little more outage under load
  await redis.restart();
  const backAt = performance.now();
  await eventually(() => samples.some((s) => s.at > backAt && s.path === "/closed" && s.status === 200 && s.decided), 3000, 10);
  const recoveredAt = samples.find((s) => s.at > backAt && s.path === "/closed" && s.status === 200 && s.decided)!.at;
  running = false;
  await Promise.all(loops);

  expect(recoveredAt - backAt).toBeLessThan(1000);
  process.stdout.write(`recovered ${Math.round(recoveredAt - backAt)} ms after Redis answered PING; ${samples.length} requests\n`);
  // Never a 500, never anything but the designed answers.
  const statuses = new Set(samples.map((s) => s.status));
  expect([...statuses].sort()).toEqual([200, 503]);
  expect(samples.filter((s) => s.path === "/open").every((s) => s.status === 200)).toBe(true);
  expect(await metricValue(stack.metricsUrl, "datahub_ratelimit_decisions_total", { decision: "failed_open" })).toBeGreaterThan(0);
  expect(await metricValue(stack.metricsUrl, "datahub_ratelimit_decisions_total", { decision: "failed_closed" })).toBeGreaterThan(0);
  expect(await metricValue(stack.metricsUrl, "datahub_ratelimit_decisions_total", { decision: "failed_local" })).toBeGreaterThan(0);
  await eventually(async () => (await ready()).checks["ratelimit-redis"] === true, 2000);
  expect((await send(stack.edgeUrl, "GET", "/healthz")).status).toBe(200);
}, 60_000);
