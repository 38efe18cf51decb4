/**
 * The path normaliser (proxy/canonical-path.ts): every request path is matched, logged and
 * forwarded in one canonical form, and the tricks that let a path match one route while a
 * decoding upstream reads another are refused (docs/security.md, "Paths").
 */
import { canonicalPath, PathRefusal, RequestTarget } from "../src/proxy/canonical-path";

const DOTS = "must not contain `.` or `..` segments, raw or percent-encoded";
const BACKSLASH = "must not contain backslashes, raw or percent-encoded (`%5C`)";
const MALFORMED = "contains a malformed percent-escape: `%` must be followed by two hex digits";
const CONTROL = "must not contain control characters, raw or percent-encoded (`%00`-`%1F`, `%7F`)";
const ENCODED_SLASH = "must not contain an encoded slash (`%2F`) unless its route sets `allowEncodedSlashes`";

test.each([
  // already canonical: returned as is
  ["/", "/"],
  ["/api/orders/42", "/api/orders/42"],
  ["/api/orders/", "/api/orders/"],
  ["/a/b.json", "/a/b.json"],
  ["/a/...", "/a/..."],
  ["/a/.well-known/x", "/a/.well-known/x"],
  ["/a/..b/c.", "/a/..b/c."],
  ["/a;v=1/b:c@d!$&'()*+,=", "/a;v=1/b:c@d!$&'()*+,="],
  // unreserved characters decoded, in either hex case
  ["/api/%61dmin", "/api/admin"],
  ["/api/%41DMIN", "/api/ADMIN"],
  ["/x/%7e%2D%5f%2e%30", "/x/~-_.0"],
  // other escapes kept, hex uppercased
  ["/x/%c3%a9", "/x/%C3%A9"],
  ["/x/%E2%82%ac", "/x/%E2%82%AC"],
  ["/x/a%20b", "/x/a%20b"],
  ["/x/%3b%3F%23%25", "/x/%3B%3F%23%25"],
  ["/x/%252e%252e", "/x/%252e%252e"],
  // raw characters that may not appear in a path are encoded
  ["/x/{a}|b", "/x/%7Ba%7D%7Cb"],
  ['/x/"<>^`[]', "/x/%22%3C%3E%5E%60%5B%5D"],
  ["/x/a b", "/x/a%20b"],
  // doubled slashes merged, a trailing slash kept
  ["/api//admin", "/api/admin"],
  ["//api/admin", "/api/admin"],
  ["/api///admin//", "/api/admin/"],
  ["//", "/"],
  // absolute-form targets reduced to their path
  ["http://gateway.example/api/orders", "/api/orders"],
  ["HTTPS://gateway.example:8443/api//%61", "/api/a"],
  ["http://gateway.example", "/"],
])("%j is canonical as %j", (input, expected) => {
  expect(canonicalPath(input)).toBe(expected);
});

test.each([
  // dot segments, raw or encoded, also as Tomcat's `..;`
  ["/api/./admin", DOTS],
  ["/api/public/../admin", DOTS],
  ["/api/public/..", DOTS],
  ["/api/public/.", DOTS],
  ["/api/public/%2e%2e/admin", DOTS],
  ["/api/public/.%2E/admin", DOTS],
  ["/api/public/%2E/admin", DOTS],
  ["/api/public/..;/admin", DOTS],
  ["/api/public/.;x/admin", DOTS],
  ["/api//../admin", DOTS],
  // dot segments behind encoded slashes: refused whatever the route allows
  ["/api/public/..%2fadmin", DOTS],
  ["/api/public%2F..%2Fadmin", DOTS],
  ["/files/a%2F%2e%2e", DOTS],
  // backslashes
  ["/api/public\\..\\admin", BACKSLASH],
  ["/api/public%5c..%5cadmin", BACKSLASH],
  ["/api/public%5Cadmin", BACKSLASH],
  // malformed escapes
  ["/x/%zz", MALFORMED],
  ["/x/%", MALFORMED],
  ["/x/%4", MALFORMED],
  ["/x/%g1", MALFORMED],
  ["/x/%%41", MALFORMED],
  // control characters, raw or encoded
  ["/x/%00", CONTROL],
  ["/x/a%00.json", CONTROL],
  ["/x/%0d%0aSet-Cookie:x", CONTROL],
  ["/x/%1F", CONTROL],
  ["/x/%7f", CONTROL],
  ["/x/a\tb", CONTROL],
  ["/x/a\u0000b", CONTROL],
  // fragments, raw non-ASCII, and targets that are no path
  ["/x/a#frag", "must not contain a fragment (`#`)"],
  ["/x/caf\u00e9", "must not contain raw non-ASCII characters (percent-encode them)"],
  ["*", "must start with `/` (or the request target be an absolute http(s) URL)"],
  ["api/orders", "must start with `/` (or the request target be an absolute http(s) URL)"],
  ["ftp://host/x", "must start with `/` (or the request target be an absolute http(s) URL)"],
  ["", "must start with `/` (or the request target be an absolute http(s) URL)"],
  ["http://gateway.example/a/%2e%2e/b", DOTS],
])("%j is refused: %s", (input, reason) => {
  const r = canonicalPath(input);
  expect(r).toBeInstanceOf(PathRefusal);
  expect((r as PathRefusal).reason).toBe(reason);
  expect((r as PathRefusal).path).toBeUndefined();
  expect((r as PathRefusal).detail).toBe(`The path ${reason}.`);
});

test.each([
  ["/files/a%2Fb", "/files/a%2Fb"],
  ["/files/a%2fb/", "/files/a%2Fb/"],
  ["/files//a%2F%2Fb%61", "/files/a%2F%2Fba"],
  ["/files%2Fadmin", "/files%2Fadmin"],
])("encoded slashes in %j are a refusal a route may waive, keeping %j", (input, kept) => {
  const r = canonicalPath(input);
  expect(r).toBeInstanceOf(PathRefusal);
  expect((r as PathRefusal).reason).toBe(ENCODED_SLASH);
  expect((r as PathRefusal).path).toBe(kept);
});

test("an already canonical path is returned as the same string (the fast path allocates nothing)", () => {
  const path = "/api/orders/0190f3a0-0000-7000-8000-000000000000/items";
  expect(canonicalPath(path)).toBe(path);
  expect(Object.is(canonicalPath(path), path)).toBe(true);
});

test("canonical form is stable: normalising a canonical path changes nothing", () => {
  for (const input of ["/api//%61dmin/", "/x/%c3%a9/{a}", "/x/a%20b/%252e", "HTTP://h//x", "/files/a%2fb"]) {
    const once = canonicalPath(input);
    const path = typeof once === "string" ? once : once.path!;
    const twice = canonicalPath(path);
    expect(typeof twice === "string" ? twice : twice.path).toBe(path);
  }
});

test("every printable ASCII character and every escape gets an answer, never an exception", () => {
  for (let c = 0; c < 256; c++) {
    const hex = c.toString(16).padStart(2, "0");
    for (const input of [`/a${String.fromCharCode(c)}b`, `/a/%${hex}`, `/a/%${hex.toUpperCase()}/`, `/%${hex}%${hex}`]) {
      const r = canonicalPath(input);
      expect(typeof r === "string" || r instanceof PathRefusal).toBe(true);
      if (typeof r === "string") expect(r).toMatch(/^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$/);
    }
  }
});

test.each([
  // url, path, search, refusal reason
  ["/api/orders", "/api/orders", "", undefined],
  ["/api/orders?", "/api/orders", "?", undefined],
  ["/api//%61dmin/?next=/../admin&p=%2e%2e%2F#x", "/api/admin/", "?next=/../admin&p=%2e%2e%2F#x", undefined],
  ["/a?b?c", "/a", "?b?c", undefined],
  ["/x/{a}?q={b}", "/x/%7Ba%7D", "?q={b}", undefined],
  ["http://gateway.example/a//b?x=%41", "/a/b", "?x=%41", undefined],
  ["/api/public/%2e%2e/admin?x=1", "/api/public/%2e%2e/admin", "?x=1", DOTS],
  ["/files/a%2fb?x", "/files/a%2Fb", "?x", ENCODED_SLASH],
  ["?x", "", "?x", "must start with `/` (or the request target be an absolute http(s) URL)"],
])("RequestTarget %j: path %j, query %j kept as received", (url, path, search, reason) => {
  const t = new RequestTarget();
  t.parse("/previous?request");
  t.parse(url);
  expect([t.path, t.search, t.refusal?.reason]).toEqual([path, search, reason]);
});

test("long paths that fail late cost linear time (no regex backtracking blow-up)", () => {
  const t = new RequestTarget();
  for (const url of ["/ab".repeat(5000) + "/%", "/" + "a.".repeat(8000) + "\\", "/a".repeat(5000) + "/..", "/%61".repeat(4000) + "//x"]) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) t.parse(url);
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(100);
  }
});
