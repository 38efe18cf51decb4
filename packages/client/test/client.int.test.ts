/**
 * The SDK against a real edge (every service in this process, real Postgres and Redis): typed
 * answers, typed problem errors, cursor pagination and retries of a real 429.
 */
import { createServer } from "node:http";
import { eventually, freePort } from "@datahub/runtime/testing";
import { createOrgAndKey, startStack, type Stack } from "../../../test/support/stack";
import { createDataHubClient, DataHubError, type Key } from "../src";

let stack: Stack;
let receiver: { url: string; close(): Promise<void> };

beforeAll(async () => {
  const server = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  receiver = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
  stack = await startStack({ env: { DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8", DATAHUB_WEBHOOKS_RETRY_SCHEDULE: "200ms", DATAHUB_WEBHOOKS_SWEEP_MS: "200" } });
}, 60000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

/** The DataHubError a promise rejects with (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<DataHubError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DataHubError);
  return err as DataHubError;
}

test("orgs and keys: typed answers from create to revoke", async () => {
  const root = createDataHubClient({ url: stack.edgeUrl, key: stack.rootKey });
  const org = await root.orgs.create({ name: "sdk-org" });
  expect(org).toEqual({ id: expect.any(String), name: "sdk-org", createdAt: expect.any(String) });
  expect((await root.orgs.list()).data.map((o) => o.id)).toContain(org.id);

  const created = await root.keys.create({ orgId: org.id, name: "ci", scopes: ["keys:read"], rateLimit: { limit: 10, windowSeconds: 60 } });
  expect(created.key).toMatch(/^dh_/);
  const got: Key = await root.keys.get(created.id, { orgId: org.id });
  expect(got).toMatchObject({ id: created.id, name: "ci", scopes: ["keys:read"], revoked: false });
  expect(got).not.toHaveProperty("key");

  const updated = await root.keys.update(created.id, { name: "ci-2", rateLimit: null }, { orgId: org.id });
  expect(updated).toMatchObject({ name: "ci-2", rateLimit: null });

  const rotated = await root.keys.rotate(created.id, { gracePeriodSeconds: 0 }, { orgId: org.id });
  expect(rotated.id).not.toBe(created.id);
  await root.keys.revoke(rotated.id, { orgId: org.id });
  expect((await root.keys.get(rotated.id, { orgId: org.id })).revoked).toBe(true);

  // The org's own key reaches the same objects without orgId.
  const own = createDataHubClient({ url: stack.edgeUrl, key: (await root.keys.create({ orgId: org.id, name: "own", scopes: ["*"] })).key });
  expect((await own.keys.get(created.id)).id).toBe(created.id);
});

test("errors are DataHubErrors with the problem's fields: 401, 403, 404, 400 with errors, unreachable", async () => {
  const { key } = await createOrgAndKey(stack, { scopes: ["keys:read"] });
  const wrong = createDataHubClient({ url: stack.edgeUrl, key: "dh_wrongwrongwrongwrongwrongwrongwrongwron" });
  const e401 = await rejection(wrong.keys.get("00000000-0000-0000-0000-000000000000"));
  expect(e401).toMatchObject({ status: 401, slug: "unauthorized", requestId: expect.any(String) });

  const limited = createDataHubClient({ url: stack.edgeUrl, key: key.key });
  const e403 = await rejection(limited.orgs.list());
  expect(e403).toMatchObject({ status: 403, type: "https://datahub.dev/problems/forbidden", title: expect.any(String), detail: expect.any(String) });

  const e404 = await rejection(limited.keys.get("00000000-0000-0000-0000-000000000000"));
  expect(e404).toMatchObject({ status: 404, slug: "not-found" });

  const root = createDataHubClient({ url: stack.edgeUrl, key: stack.rootKey });
  const e400 = await rejection(root.keys.create({ orgId: key.orgId, name: "x", scopes: ["ok", "NOT VALID"] }));
  expect(e400).toMatchObject({ status: 400, slug: "invalid-request" });
  expect(e400.errors).toEqual([{ path: "scopes[1]", message: expect.any(String) }]);

  const down = createDataHubClient({ url: `http://127.0.0.1:${await freePort()}`, key: stack.rootKey });
  const e0 = await rejection(down.orgs.list());
  expect(e0).toMatchObject({ status: 0, type: "network-error" });
  expect(e0.message).toContain("ECONNREFUSED");
});

test("lists iterate across pages", async () => {
  const { org, key } = await createOrgAndKey(stack);
  const root = createDataHubClient({ url: stack.edgeUrl, key: stack.rootKey });
  for (let i = 0; i < 4; i++) await root.keys.create({ orgId: org.id, name: `k${i}`, scopes: [] });
  const pages = [];
  for await (const page of root.keys.list({ orgId: org.id, limit: 2 }).pages()) pages.push(page);
  expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
  expect(pages.at(-1)!.nextCursor).toBeNull();

  const names: string[] = [];
  for await (const k of root.keys.list({ orgId: org.id, limit: 2 })) names.push(k.name);
  // The order is the server's; every key comes exactly once.
  expect([...names].sort()).toEqual(["k0", "k1", "k2", "k3", "test key"]);

  const first = await root.keys.list({ orgId: org.id, limit: 3 }).first();
  const rest = await root.keys.list({ orgId: org.id, limit: 3, cursor: first.nextCursor! }).first();
  expect([...first.data, ...rest.data].map((k) => k.name)).toEqual(names);

  // Request logs page the same way; they belong to the caller's org, so the org's key makes two.
  const own = createDataHubClient({ url: stack.edgeUrl, key: key.key });
  await own.keys.get(key.id);
  await own.keys.get(key.id);
  await eventually(async () => (await root.logs.query({ orgId: org.id, limit: 1 }).first()).nextCursor !== null, 10000, 100);
  const logs = await root.logs.query({ orgId: org.id, limit: 1 }).first();
  expect(logs.nextCursor).toEqual(expect.any(String));
  expect((await root.logs.get(logs.data[0]!.requestId, { orgId: org.id })).requestId).toBe(logs.data[0]!.requestId);
  expect((await root.usage.get({ orgId: org.id, granularity: "hour" })).data.length).toBeGreaterThan(0);
});

test("webhooks and events: create, list, deliveries, attempts, retry, rotate, delete", async () => {
  const { key } = await createOrgAndKey(stack);
  const c = createDataHubClient({ url: stack.edgeUrl, key: key.key });
  const ep = await c.webhooks.create({ url: `${receiver.url}/hook`, events: ["order.*"], description: "sdk" });
  expect(ep.secret).toMatch(/^whsec_/);
  expect((await c.webhooks.get(ep.id)).url).toBe(`${receiver.url}/hook`);
  expect((await c.webhooks.update(ep.id, { description: null })).description).toBeNull();
  const all = [];
  for await (const w of c.webhooks.list({ limit: 1 })) all.push(w.id);
  expect(all).toEqual([ep.id]);

  const published = await c.events.publish({ type: "order.created", data: { n: 1 }, idempotencyKey: "sdk-1" });
  expect((await c.events.publish({ type: "order.created", data: { n: 1 }, idempotencyKey: "sdk-1" })).id).toBe(published.id);

  // The receiver answers 500, so the one delivery fails after its single retry.
  let deliveryId = "";
  await eventually(async () => {
    for await (const d of c.webhooks.deliveries(ep.id, { status: "failed" })) deliveryId = d.id;
    return deliveryId !== "";
  }, 20000, 200);
  expect((await c.webhooks.attempts(ep.id, deliveryId)).data.length).toBeGreaterThan(0);
  await c.webhooks.retry(ep.id, deliveryId);

  const rotated = await c.webhooks.rotateSecret(ep.id);
  expect(rotated.secret).toMatch(/^whsec_/);
  await c.webhooks.delete(ep.id);
  expect((await rejection(c.webhooks.get(ep.id))).status).toBe(404);
});

test("a real 429 is retried after Retry-After, for any method (the limiter refused it before the handler)", async () => {
  const { key } = await createOrgAndKey(stack, { rateLimit: { limit: 1, windowSeconds: 1 } });
  const statuses: number[] = [];
  const counting: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    statuses.push(res.status);
    return res;
  };
  const c = createDataHubClient({ url: stack.edgeUrl, key: key.key, fetch: counting });
  await c.keys.get(key.id);
  const started = Date.now();
  // POST is not idempotent; a `rate-limited` 429 still means nothing was done.
  const created = await c.keys.create({ name: "after-429", scopes: [] });
  expect(created.name).toBe("after-429");
  expect(statuses).toEqual([200, 429, 201]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(500);

  // Without retries (or past the wait budget) the caller sees the 429 itself.
  const noRetry = createDataHubClient({ url: stack.edgeUrl, key: key.key, retries: false });
  await noRetry.keys.get(key.id).catch(() => undefined);
  const e429 = await rejection(noRetry.keys.get(key.id));
  expect(e429).toMatchObject({ status: 429, slug: "rate-limited", retryAfterSeconds: expect.any(Number) });
  const tight = createDataHubClient({ url: stack.edgeUrl, key: key.key, retries: { attempts: 3, maxTotalWaitMs: 100 } });
  expect((await rejection(tight.keys.get(key.id))).status).toBe(429);
});

describe("without a key, as the console uses it", () => {
  it("sends no Authorization header and works through a console session's cookie and CSRF token", async () => {
    const signIn = await fetch(`${stack.edgeUrl}/console/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: stack.rootKey }) });
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const seen: Array<string | null> = [];
    const spying: typeof fetch = (input, init) => {
      seen.push((input instanceof Request ? input.headers : new Headers(init?.headers)).get("authorization"));
      return fetch(input, init);
    };
    const c = createDataHubClient({ url: `${stack.edgeUrl}/console/api`, headers: { cookie, "x-csrf-token": csrfToken }, fetch: spying });
    const org = await c.orgs.create({ name: "from-a-session" });
    expect((await c.orgs.list()).data.map((o) => o.id)).toContain(org.id);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === null)).toBe(true);
    const noCsrf = createDataHubClient({ url: `${stack.edgeUrl}/console/api`, headers: { cookie } });
    expect((await rejection(noCsrf.orgs.create({ name: "forged" }))).slug).toBe("csrf");
  });
});
