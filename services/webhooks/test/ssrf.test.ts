/**
 * The SSRF address policy (src/ssrf.ts, src/embedded-ipv4.ts; docs/webhooks.md "SSRF guard"):
 * plain ranges, every IPv6 form that embeds IPv4 judged by what it embeds, the allow list, the
 * creation-time check of resolved names and the connect-time lookup.
 */
import type { LookupAddress } from "node:dns";
import { checkEndpointUrl, forbiddenReason, guardedLookup, parseAllowList, type ResolveAll } from "../src/ssrf";

const none = parseAllowList([]);

describe("plain addresses", () => {
  it.each([
    "127.0.0.1", "10.1.2.3", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.251", "255.255.255.255", "240.0.0.1", "::1", "::", "fc00::1", "fd00::1", "fe80::1", "ff02::1",
    "2001:db8::1", "100::1", "fec0::1",
  ])("refuses %s", (ip) => expect(forbiddenReason(ip, none)).toBeDefined());

  it.each(["93.184.215.14", "8.8.8.8", "2606:4700::1111", "[2a00:1450:4001::200e]"])("allows public %s", (ip) =>
    expect(forbiddenReason(ip, none)).toBeUndefined(),
  );

  it("refuses IPv6 outside the global unicast range 2000::/3 that no special range names", () => {
    expect(forbiddenReason("4000::1", none)).toMatch(/outside the global unicast range 2000::\/3/);
    expect(forbiddenReason("1::1", none)).toMatch(/outside the global unicast range/);
  });

  it("says why something is not an address", () => expect(forbiddenReason("nope", none)).toMatch(/is not an IP address/));
});

// Teredo: 2001:0:<server IPv4>:<flags>:<port ^ ffff>:<client IPv4 ^ ffffffff> (RFC 4380 §4).
const REFUSED: Array<[string, string, RegExp]> = [
  ["IPv4-compatible, loopback", "::7f00:1", /\(IPv4-compatible\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["IPv4-compatible, dotted (as the resolver prints it)", "::127.0.0.1", /IPv4-compatible\) embeds the loopback/],
  ["IPv4-compatible, metadata", "::169.254.169.254", /embeds the linkLocal IPv4 address 169\.254\.169\.254/],
  ["IPv4-compatible, private", "::a00:1", /embeds the private IPv4 address 10\.0\.0\.1/],
  ["IPv4-compatible, public (not routed)", "::808:808", /is IPv4-compatible, which is not routed/],
  ["IPv4-mapped, loopback", "::ffff:127.0.0.1", /\(IPv4-mapped\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["IPv4-mapped, metadata (hex)", "::ffff:a9fe:a9fe", /embeds the linkLocal IPv4 address 169\.254\.169\.254/],
  ["IPv4-translated, loopback", "::ffff:0:7f00:1", /\(IPv4-translated\) embeds the loopback/],
  ["NAT64 well-known, loopback", "64:ff9b::7f00:1", /\(NAT64 64:ff9b::\/96\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["NAT64 well-known, metadata", "64:ff9b::169.254.169.254", /embeds the linkLocal IPv4 address 169\.254\.169\.254/],
  ["NAT64 well-known, private", "64:ff9b::a00:1", /embeds the private IPv4 address 10\.0\.0\.1/],
  ["NAT64 local-use, loopback", "64:ff9b:1::7f00:1", /is local-use NAT64 64:ff9b:1::\/48, which is not routed/],
  ["NAT64 local-use, public", "64:ff9b:1::808:808", /local-use NAT64/],
  ["6to4, loopback", "2002:7f00:1::", /\(6to4\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["6to4, metadata", "2002:a9fe:a9fe::1", /embeds the linkLocal IPv4 address 169\.254\.169\.254/],
  ["6to4, private", "2002:c0a8:101::1", /embeds the private IPv4 address 192\.168\.1\.1/],
  ["Teredo, loopback client", "2001:0:808:808::80ff:fffe", /\(Teredo\) embeds the loopback IPv4 address 127\.0\.0\.1/],
  ["Teredo, metadata client", "2001:0:808:808::5601:5601", /embeds the linkLocal IPv4 address 169\.254\.169\.254/],
  ["Teredo, private server", "2001:0:a00:1::f7f7:f7f7", /embeds the private IPv4 address 10\.0\.0\.1/],
  ["Teredo, RFC 4380's example (documentation client)", "2001:0:4136:e378:8000:63bf:3fff:fdd2", /embeds the reserved IPv4 address 192\.0\.2\.45/],
];

describe("IPv6 forms that embed IPv4 are judged by the IPv4 they embed", () => {
  it.each(REFUSED)("refuses %s: %s", (_name, ip, reason) => expect(forbiddenReason(ip, none)).toMatch(reason));

  it.each([
    ["IPv4-mapped", "::ffff:8.8.8.8"],
    ["IPv4-translated", "::ffff:0:808:808"],
    ["NAT64 well-known", "64:ff9b::808:808"],
    ["NAT64 well-known, dotted", "64:ff9b::8.8.8.8"],
    ["6to4", "2002:808:808::1"],
    ["Teredo, public server and client", "2001:0:808:404::f7f7:f7f7"],
  ])("allows %s of a public address: %s", (_name, ip) => expect(forbiddenReason(ip, none)).toBeUndefined());
});

describe("the allow list", () => {
  const allow = parseAllowList(["127.0.0.0/8", "fd00::/8"]);

  it("opens exactly the listed ranges", () => {
    expect(forbiddenReason("127.0.0.1", allow)).toBeUndefined();
    expect(forbiddenReason("fd00::5", allow)).toBeUndefined();
    expect(forbiddenReason("10.0.0.1", allow)).toBeDefined();
    expect(forbiddenReason("::1", allow)).toBeDefined();
  });

  it("opens the embedded forms of a listed IPv4 address, since they reach nothing else", () => {
    for (const ip of ["::ffff:127.0.0.1", "::7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::", "2001:0:7f00:1::80ff:fffe"]) {
      expect([ip, forbiddenReason(ip, allow)]).toEqual([ip, undefined]);
    }
  });

  it("keeps refusing embedded addresses that are not listed", () => {
    expect(forbiddenReason("::ffff:10.0.0.1", allow)).toMatch(/private IPv4 address 10\.0\.0\.1/);
    expect(forbiddenReason("2001:0:7f00:1::f5ff:fffe", allow)).toMatch(/private IPv4 address 10\.0\.0\.1/); // Teredo: server listed, client not
    expect(forbiddenReason("::808:808", allow)).toMatch(/not routed/);
    expect(forbiddenReason("64:ff9b:1::7f00:1", allow)).toMatch(/local-use NAT64/);
  });

  it("an IPv6 entry opens the IPv6 form itself", () => {
    expect(forbiddenReason("64:ff9b:1::a00:1", parseAllowList(["64:ff9b:1::/48"]))).toBeUndefined();
  });
});

describe("checkEndpointUrl", () => {
  it("refuses a hostname when any resolved address is forbidden", async () => {
    const resolve = async () => ["93.184.215.14", "10.0.0.7"];
    await expect(checkEndpointUrl("https://hooks.example.com/x", { allow: none, resolve })).rejects.toThrow(/resolves to a forbidden 10\.0\.0\.7 is private/);
  });
  it("refuses a hostname whose AAAA record embeds a forbidden IPv4 address", async () => {
    const resolve = async () => ["2606:4700::1111", "::169.254.169.254"];
    await expect(checkEndpointUrl("https://hooks.example.com/x", { allow: none, resolve })).rejects.toThrow(/embeds the linkLocal IPv4 address 169\.254\.169\.254/);
  });
  it("accepts a hostname resolving only to public addresses", async () => {
    const resolve = async () => ["93.184.215.14", "64:ff9b::808:808"];
    await expect(checkEndpointUrl("https://hooks.example.com/x", { allow: none, resolve })).resolves.toBeInstanceOf(URL);
  });
  it("refuses a host that does not resolve", async () => {
    const resolve = async () => Promise.reject(new Error("ENOTFOUND"));
    await expect(checkEndpointUrl("https://nope.invalid/", { allow: none, resolve })).rejects.toThrow(/does not resolve/);
  });
  it.each(["http://[::169.254.169.254]/", "http://[::7f00:1]:8080/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/"])(
    "refuses the literal %s",
    async (url) => await expect(checkEndpointUrl(url, { allow: none })).rejects.toThrow(/^refused by the SSRF guard: address .* embeds the/),
  );
});

describe("guardedLookup (connect time)", () => {
  const answering = (...addresses: string[]): ResolveAll => (_host, _opts, cb) =>
    cb(null, addresses.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 })));
  const lookupWith = (resolveAll: ResolveAll, allow = none) =>
    new Promise<{ err: (Error & { code?: string }) | null; address?: string }>((resolve) =>
      guardedLookup(allow, resolveAll)("hooks.example.com", {}, (err, address) => resolve({ err, address: address as string })),
    );

  it("fails the connection when a resolved address embeds a forbidden IPv4 address", async () => {
    const { err } = await lookupWith(answering("8.8.8.8", "::7f00:1"));
    expect(err?.code).toBe("ESSRF");
    expect(err?.message).toMatch(/refused by the SSRF guard: "hooks\.example\.com" resolves to a forbidden ::7f00:1 \(IPv4-compatible\) embeds the loopback/);
  });

  it("dials a name whose addresses are all public", async () => {
    expect(await lookupWith(answering("64:ff9b::808:808"))).toEqual({ err: null, address: "64:ff9b::808:808" });
  });

  it("the system resolver: localhost is refused, and allowed once loopback is listed", async () => {
    const refused = await new Promise<Error | null>((resolve) => guardedLookup(none)("localhost", { all: true }, (e) => resolve(e)));
    expect(refused?.message).toMatch(/refused by the SSRF guard/);
    const ok = await new Promise<unknown>((resolve) => guardedLookup(parseAllowList(["127.0.0.0/8", "::1/128"]))("localhost", {}, (e, a) => resolve(e ?? a)));
    expect(typeof ok).toBe("string");
  });
});
