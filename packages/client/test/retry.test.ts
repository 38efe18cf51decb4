/** The retry rule of the SDK, on canned answers (the real 429 is in client.int.test.ts). */
import { isRetryable, withRetries } from "../src/retry";

const problem = (status: number, slug: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: `https://datahub.dev/problems/${slug}`, title: "t", status, detail: "d", requestId: "r" }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });

test("idempotent methods retry 429 and 503; others only when the pipeline refused the request", async () => {
  expect(await isRetryable("GET", problem(503, "service-unavailable"))).toBe(true);
  expect(await isRetryable("DELETE", problem(429, "rate-limited"))).toBe(true);
  expect(await isRetryable("POST", problem(429, "rate-limited"))).toBe(true);
  expect(await isRetryable("PATCH", problem(503, "auth-unavailable"))).toBe(true);
  expect(await isRetryable("POST", problem(503, "service-unavailable"))).toBe(false);
  expect(await isRetryable("POST", new Response("busy", { status: 503 }))).toBe(false);
  expect(await isRetryable("GET", problem(500, "internal-error"))).toBe(false);
});

test("attempts and total wait are bounded; a Retry-After past the budget is returned, not waited out", async () => {
  let calls = 0;
  const always429: typeof fetch = async () => (calls++, problem(429, "rate-limited", { "retry-after": "0" }));
  const res = await withRetries(always429, { attempts: 2 })("http://x/v1/keys");
  expect([res.status, calls]).toEqual([429, 3]);

  calls = 0;
  const started = Date.now();
  const long: typeof fetch = async () => (calls++, problem(429, "rate-limited", { "retry-after": "30" }));
  expect((await withRetries(long, { maxTotalWaitMs: 1000 })("http://x/v1/keys")).status).toBe(429);
  expect(calls).toBe(1);
  expect(Date.now() - started).toBeLessThan(500);
});

test("a request body is sent again intact on each attempt", async () => {
  const bodies: string[] = [];
  const flaky: typeof fetch = async (input) => {
    bodies.push(await (input as Request).text());
    return bodies.length === 1 ? problem(429, "rate-limited", { "retry-after": "0" }) : new Response("{}", { status: 201 });
  };
  const res = await withRetries(flaky)(new Request("http://x/v1/events", { method: "POST", body: '{"type":"a"}' }));
  expect(res.status).toBe(201);
  expect(bodies).toEqual(['{"type":"a"}', '{"type":"a"}']);
});
