/**
 * Management API, JSON nesting depth: a body nested deeper than MAX_JSON_DEPTH is a 400
 * `json-too-deep` problem naming the limit, refused before parsing, on every body-carrying route,
 * in any accepted charset; one at the limit reaches validation. Before the limit, ~1,500 levels
 * overflowed zod's `z.json()` (metadata, event data) and ~50 broke protobuf-es: 500s with a stack in
 * the log. Never a 500, never an error-level log.
 */
import { MAX_JSON_DEPTH } from "@datahub/runtime";
import { startApi, type ApiHarness } from "./support/api-harness";

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(async () => {
  await h.close();
});

/** `n` levels of objects: `{"a":{"a":…1…}}`. */
const objects = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);
/** `n` levels of arrays. */
const arrays = (n: number) => "[".repeat(n) + "]".repeat(n);

const post = (path: string, body: string, contentType = "application/json") => h.call("POST", path, { body, headers: { "content-type": contentType } });

/** Bodies whose total depth is `n` (the top-level object counts). */
const BODIES: Array<[string, (n: number) => string]> = [
  ["/v1/keys", (n) => `{"name":"k","scopes":[],"metadata":${objects(n - 1)}}`],
  ["/v1/events", (n) => `{"type":"order.created","data":${objects(n - 1)}}`],
  ["/v1/orgs", (n) => `{"name":${arrays(n - 1)}}`],
  ["/v1/webhooks", (n) => `{"url":"https://a.example/x","events":["*"],"description":${arrays(n - 1)}}`],
];

test.each(BODIES)(`POST %s nested ${MAX_JSON_DEPTH + 1} levels → 400 json-too-deep naming the limit`, async (path, body) => {
  const r = await post(path, body(MAX_JSON_DEPTH + 1));
  expect(r.status).toBe(400);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  expect(r.body.type).toBe("https://datahub.dev/problems/json-too-deep");
  expect(r.body.detail).toBe(`the request body nests objects and arrays deeper than the limit of ${MAX_JSON_DEPTH} levels`);
  expect(h.contexts.at(-1)!.error).toBe("json_too_deep");
});

test(`at ${MAX_JSON_DEPTH} levels the body is parsed and validated as usual`, async () => {
  expect((await post("/v1/keys", BODIES[0]![1](MAX_JSON_DEPTH))).status).toBe(201);
  expect((await post("/v1/events", BODIES[1]![1](MAX_JSON_DEPTH))).status).toBe(202);
  const org = await post("/v1/orgs", BODIES[2]![1](MAX_JSON_DEPTH));
  expect([org.status, org.body.type, org.body.detail]).toEqual([400, "https://datahub.dev/problems/invalid-request", "name: must be a string"]);
});

test.each(BODIES.map(([path]) => path))("POST %s with 100,000 nested arrays → 400 at once", async (path) => {
  const started = performance.now();
  const r = await post(path, arrays(100_000));
  expect([r.status, r.body.type]).toEqual([400, "https://datahub.dev/problems/json-too-deep"]);
  expect(performance.now() - started).toBeLessThan(1000);
});

test("a deep UTF-16 body is measured after decoding it; an unknown utf-* charset → 415", async () => {
  const utf16 = Buffer.from(BODIES[0]![1](MAX_JSON_DEPTH + 1), "utf16le");
  const deep = await h.call("POST", "/v1/keys", { body: utf16 as unknown as string, headers: { "content-type": "application/json; charset=utf-16le" } });
  expect([deep.status, deep.body.type]).toEqual([400, "https://datahub.dev/problems/json-too-deep"]);
  const ok = Buffer.from(BODIES[0]![1](2), "utf16le");
  expect((await h.call("POST", "/v1/keys", { body: ok as unknown as string, headers: { "content-type": "application/json; charset=utf-16le" } })).status).toBe(201);
  const utf7 = await post("/v1/keys", '{"name":"k","scopes":[]}', "application/json; charset=utf-7");
  expect([utf7.status, utf7.body.type]).toEqual([415, "https://datahub.dev/problems/unsupported-media-type"]);
});

test("brackets inside strings do not count", async () => {
  const r = await post("/v1/keys", JSON.stringify({ name: "[".repeat(150), scopes: [], metadata: { note: "{".repeat(1000) } }));
  expect(r.status).toBe(201);
});

test("none of it is a 500 or an error-level log", () => {
  expect(h.contexts.some((c) => c.error === "internal_error")).toBe(false);
  expect(h.logs.text()).not.toMatch(/"level":"(error|fatal)"/);
});
