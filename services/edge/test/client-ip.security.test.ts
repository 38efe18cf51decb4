/**
 * Client addresses cannot be spoofed (client-ip.ts): an untrusted peer's forwarding headers are
 * ignored, entries a client writes itself are never reached, and malformed, `unknown` or
 * obfuscated entries are never taken as a client nor as a trusted proxy.
 */
import { parseAddress, TrustedProxies } from "../src/client-ip";

const PEER = "10.0.0.5";
const proxies = new TrustedProxies(["10.0.0.0/8", "192.168.1.0/24"]);

test("an untrusted peer is the client whatever it claims", () => {
  const claims = { "x-forwarded-for": "198.51.100.1", forwarded: "for=198.51.100.2", "x-real-ip": "198.51.100.3" };
  expect(proxies.clientIp("203.0.113.50", claims)).toBe("203.0.113.50");
  expect(new TrustedProxies(["10.0.0.0/8"]).clientIp("127.0.0.1", claims)).toBe("127.0.0.1");
});

test("entries the client wrote itself sit left of its real address and are never reached", () => {
  // The client sent `X-Forwarded-For: 1.2.3.4, 10.9.9.9`; the load balancer appended its address.
  expect(proxies.clientIp(PEER, { "x-forwarded-for": "1.2.3.4, 10.9.9.9, 203.0.113.9" })).toBe("203.0.113.9");
  expect(proxies.clientIp(PEER, { forwarded: "for=1.2.3.4, for=203.0.113.9" })).toBe("203.0.113.9");
});

test.each([
  ["not an address at the right: the peer that wrote it", "203.0.113.9, garbage", PEER],
  ["an empty entry at the right", "203.0.113.9,", PEER],
  ["an empty header", "", PEER],
  ["garbage between trusted hops: the trusted hop that reported it", "203.0.113.9, garbage, 192.168.1.7", "192.168.1.7"],
  ["unknown", "unknown", PEER],
  ["a CIDR", "203.0.113.0/24", PEER],
  ["two addresses without a comma", "203.0.113.9 198.51.100.1", PEER],
  ["a hex IPv4", "0xcb.0.113.9", PEER],
  ["an IPv6 zone id", "fe80::1%eth0", PEER],
  ["an unclosed bracket", "[2001:db8::1", PEER],
  ["a bracketed IPv4", "[203.0.113.9]", PEER],
  ["a bad port", "203.0.113.9:http", PEER],
])("X-Forwarded-For with %s is never the client nor trusted", (_what, xff, expected) => {
  expect(proxies.clientIp(PEER, { "x-forwarded-for": xff })).toBe(expected);
});

test.each([
  ["for=unknown", PEER],
  ["for=_hidden", PEER],
  ['for="[2001:db8::1]:4711", for=unknown', PEER],
  ["for=203.0.113.9, for=_gateway;proto=https", PEER],
  ["for=203.0.113.9, proto=https", PEER],
  ["for=203.0.113.9;for=198.51.100.1", PEER],
  ["for=203.0.113.9, garbage", PEER],
  ['for="203.0.113.9', PEER],
  ['for="[2001:db8::1"', PEER],
  ["for=", PEER],
  [";;,,", PEER],
  // A client's unterminated quote spoils only its own element, not the proxy's to its right.
  ['for="1.2.3.4, for=203.0.113.9', "203.0.113.9"],
  ['for=1.2.3.4;x="a;b", for=203.0.113.9', "203.0.113.9"],
])("Forwarded %j gives %s", (forwarded, expected) => {
  expect(proxies.clientIp(PEER, { forwarded })).toBe(expected);
});

test("a chain of trusted hops longer than 20 stops at the 20th: bounded work on a 16 KiB header", () => {
  const chain = Array.from({ length: 1500 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`).join(", ");
  const t0 = process.hrtime.bigint();
  const ip = proxies.clientIp(PEER, { "x-forwarded-for": "203.0.113.9, " + chain });
  expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(50);
  expect(ip).toBe(chain.split(", ").at(-20));
});

test("repeated header lines are read as one list (Node joins them; arrays are joined too)", () => {
  expect(proxies.clientIp(PEER, { "x-forwarded-for": ["198.51.100.1", "203.0.113.9"] } as never)).toBe("203.0.113.9");
});

test("parseAddress accepts addresses only", () => {
  for (const bad of ["", " ", "unknown", "_x", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:99999", "::1:", "[::1]x", "[::1]:", "1.2.3.4:_"]) {
    expect([bad, parseAddress(bad)]).toEqual([bad, undefined]);
  }
});

test("the memo of verdicts stays bounded", () => {
  const p = new TrustedProxies(["10.0.0.0/8"]);
  for (let i = 0; i < 25_000; i++) p.trusts(`172.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  expect((p as unknown as { memo: Map<string, boolean> }).memo.size).toBeLessThanOrEqual(10_000);
  expect(p.trusts("10.1.2.3")).toBe(true);
});

test("X-Forwarded-Proto is believed from a trusted peer only, its rightmost value, and only http or https", () => {
  expect(proxies.forwardedProto(PEER, { "x-forwarded-proto": "https" })).toBe("https");
  expect(proxies.forwardedProto(PEER, { "x-forwarded-proto": "HTTP" })).toBe("http");
  // A client's own value sits left of what the trusted hop appended.
  expect(proxies.forwardedProto(PEER, { "x-forwarded-proto": "https, http" })).toBe("http");
  expect(proxies.forwardedProto("203.0.113.50", { "x-forwarded-proto": "https" })).toBeUndefined();
  for (const junk of ["ftp", "https;", "", "javascript"]) expect(proxies.forwardedProto(PEER, { "x-forwarded-proto": junk })).toBeUndefined();
  expect(proxies.forwardedProto(PEER, {})).toBeUndefined();
});
