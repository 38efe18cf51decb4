/**
 * Where keys may come from: headers yes, the query string never (400 before any lookup).
 */
import { generateApiKey } from "@datahub/runtime";
import { keyFromHeaders, queryCarriesKey } from "../src/auth/extract";
import { traceFrom } from "../src/trace";

const key = generateApiKey();

test("Authorization: Bearer (any case of the scheme) and X-API-Key carry the key", () => {
  expect(keyFromHeaders({ authorization: `Bearer ${key}` })).toBe(key);
  expect(keyFromHeaders({ authorization: `bearer ${key}` })).toBe(key);
  expect(keyFromHeaders({ "x-api-key": key })).toBe(key);
  expect(keyFromHeaders({ authorization: `Bearer ${key}`, "x-api-key": "other" })).toBe(key);
});

test("no header → undefined; another scheme or an empty value → '' (both end in the same 401)", () => {
  expect(keyFromHeaders({})).toBeUndefined();
  expect(keyFromHeaders({ authorization: `Basic ${Buffer.from("a:b").toString("base64")}` })).toBe("");
  expect(keyFromHeaders({ authorization: "Bearer" })).toBe("");
});

test.each([
  [`api_key=${key}`],
  [`x=1&apikey=anything`],
  [`KEY=abc`],
  [`access_token=t`],
  [`token=t`],
  [`q=${key}`],
  [`q=${encodeURIComponent(`Bearer ${key}`)}`],
  [`q=dhr_${"a".repeat(10)}`],
  [`q=${encodeURIComponent(key)}&page=2`],
])("a credential in the query string (%s) is detected", (query) => {
  expect(queryCarriesKey(query)).toBe(true);
});

test.each([[""], ["page=2&sort=name"], ["q=dh"], ["q=dhx_123"], ["monkey=1"], ["%E0%A4%A=1"]])("an ordinary query (%j) passes", (query) => {
  expect(queryCarriesKey(query)).toBe(false);
});

test("traceparent: a valid client value is forwarded as is; anything else starts a new trace", () => {
  const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  expect(traceFrom(tp)).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", traceparent: tp });
  for (const bad of [undefined, "junk", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", tp.toUpperCase()]) {
    const t = traceFrom(bad);
    expect(t.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(t.traceparent).toContain(t.traceId);
    expect(t.traceId).not.toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  }
  expect(traceFrom(undefined).traceId).not.toBe(traceFrom(undefined).traceId);
});
