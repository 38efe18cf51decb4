/**
 * Client addresses behind trusted proxies (client-ip.ts): the rightmost X-Forwarded-For entry that
 * is not a trusted proxy, RFC 7239 `Forwarded: for=` when there is no X-Forwarded-For, and the
 * address forms proxies write (docs/security.md, "Client addresses").
 */
import { forwardedFor, parseAddress, peerAddress, TrustedProxies } from "../src/client-ip";

const proxies = new TrustedProxies(["10.0.0.0/8", "192.168.1.0/24", "2001:db8:ffff::/48"]);

test("one trusted hop: the load balancer's X-Forwarded-For entry is the client", () => {
  expect(proxies.clientIp("10.0.0.5", { "x-forwarded-for": "203.0.113.9" })).toBe("203.0.113.9");
});

test("two trusted hops: the proxy entries are skipped, the first untrusted one from the right is the client", () => {
  // client → CDN edge 192.168.1.7 → load balancer 10.0.0.5 → DataHub
  expect(proxies.clientIp("10.0.0.5", { "x-forwarded-for": "203.0.113.9, 192.168.1.7" })).toBe("203.0.113.9");
  expect(proxies.clientIp("10.0.0.5", { "x-forwarded-for": "198.51.100.1,203.0.113.9 ,192.168.1.7" })).toBe("203.0.113.9");
});

test("every entry trusted: the leftmost is the client", () => {
  expect(proxies.clientIp("10.0.0.5", { "x-forwarded-for": "10.1.1.1, 192.168.1.7" })).toBe("10.1.1.1");
});

test("a trusted peer without forwarding headers is itself the client", () => {
  expect(proxies.clientIp("10.0.0.5", {})).toBe("10.0.0.5");
});

test("an untrusted peer is the client; the cost is one memoised check", () => {
  expect(proxies.clientIp("203.0.113.50", {})).toBe("203.0.113.50");
  expect(proxies.trusts("203.0.113.50")).toBe(false);
  expect(proxies.trusts("10.255.255.255")).toBe(true);
  expect(proxies.trusts("11.0.0.0")).toBe(false);
  expect(proxies.trusts("2001:db8:ffff:1::1")).toBe(true);
  expect(proxies.trusts("2001:db8:fffe::1")).toBe(false);
});

test("Forwarded for= is read when there is no X-Forwarded-For, with quoted IPv6, ports and other parameters", () => {
  expect(proxies.clientIp("10.0.0.5", { forwarded: "for=203.0.113.9" })).toBe("203.0.113.9");
  expect(proxies.clientIp("10.0.0.5", { forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.5' })).toBe("2001:db8:cafe::17");
  expect(proxies.clientIp("10.0.0.5", { forwarded: 'For="203.0.113.9:47011", for=192.168.1.7;proto=http' })).toBe("203.0.113.9");
  // X-Forwarded-For wins when both are present
  expect(proxies.clientIp("10.0.0.5", { "x-forwarded-for": "198.51.100.1", forwarded: "for=203.0.113.9" })).toBe("198.51.100.1");
});

test("the address forms proxies write are read, IPv4-mapped IPv6 as IPv4", () => {
  expect(parseAddress(" 203.0.113.9 ")).toBe("203.0.113.9");
  expect(parseAddress("203.0.113.9:8080")).toBe("203.0.113.9");
  expect(parseAddress("2001:DB8::1")).toBe("2001:db8::1");
  expect(parseAddress("[2001:db8::1]")).toBe("2001:db8::1");
  expect(parseAddress("[2001:db8::1]:4711")).toBe("2001:db8::1");
  expect(parseAddress("[2001:db8::1]:_port")).toBe("2001:db8::1");
  expect(parseAddress("::ffff:10.0.0.1")).toBe("10.0.0.1");
  expect(parseAddress("[::FFFF:10.0.0.1]:80")).toBe("10.0.0.1");
  expect(peerAddress({ remoteAddress: "::ffff:10.0.0.1" })).toBe("10.0.0.1");
  expect(peerAddress({ remoteAddress: "::1" })).toBe("::1");
  expect(peerAddress({})).toBe("");
});

test("an IPv4-mapped peer is checked as IPv4", () => {
  expect(proxies.clientIp(peerAddress({ remoteAddress: "::ffff:10.0.0.5" }), { "x-forwarded-for": "203.0.113.9" })).toBe("203.0.113.9");
});

test("forwardedFor reads the for= of one Forwarded element", () => {
  expect(forwardedFor("for=192.0.2.60;proto=http;by=203.0.113.43")).toBe("192.0.2.60");
  expect(forwardedFor(' proto=https ; FOR="[2001:db8::1]:4711" ')).toBe("[2001:db8::1]:4711");
  expect(forwardedFor('for="\\"quoted\\""')).toBe('"quoted"');
  expect(forwardedFor("proto=https")).toBe("");
});
