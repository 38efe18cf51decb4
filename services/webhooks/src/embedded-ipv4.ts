/**
 * IPv6 addresses that carry an IPv4 address: a packet sent to one of them can end up at that IPv4
 * address (the OS dials it, a NAT64 gateway or 6to4/Teredo relay forwards to it), so the SSRF
 * guard judges such an address by the IPv4 address it carries (docs/webhooks.md, "SSRF guard").
 *
 * Parsing is left to the WHATWG URL parser built into Node and to ipaddr.js; this file only knows
 * where each form keeps its IPv4 bits.
 */
import ipaddr from "ipaddr.js";

/** What an IPv6 address embeds, if it is one of the forms below. */
export interface EmbeddedIPv4 {
  /** Name of the form, for refusal messages. */
  form: string;
  /** Where packets to the address may go; empty when the form does not say where the bits are. */
  ipv4: ipaddr.IPv4[];
  /**
   * False for forms that are not routed on the Internet: they are refused even when the embedded
   * address is public, unless every embedded address is allow-listed.
   */
  routable: boolean;
}

const NAT64_LOCAL_USE = ipaddr.IPv6.parseCIDR("64:ff9b:1::/48");

/** The IPv4 address in bytes `at`…`at+3`, each XORed with `xor` (Teredo obfuscates its client). */
function ipv4At(bytes: number[], at: number, xor = 0): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes.slice(at, at + 4).map((b) => b ^ xor));
}

/**
 * The IPv4 address(es) `v6` embeds, or undefined when it is none of these forms:
 *
 * - IPv4-mapped `::ffff:0:0/96` and IPv4-translated `::ffff:0:0:0/96` (RFC 4291, RFC 6145): the
 *   last 32 bits; the OS dials the IPv4 address itself.
 * - IPv4-compatible `::/96` (deprecated, RFC 4291 §2.5.5.1; not `::` or `::1`): the last 32 bits;
 *   not routed, but a host with an automatic tunnel sends it to that IPv4 address.
 * - NAT64 well-known prefix `64:ff9b::/96` (RFC 6052): the last 32 bits.
 * - NAT64 local-use `64:ff9b:1::/48` (RFC 8215): the operator picks where the IPv4 bits sit
 *   (RFC 6052 §2.2 allows several prefix lengths), so none is named; not globally routed.
 * - 6to4 `2002::/16` (RFC 3056): bits 16–47.
 * - Teredo `2001::/32` (RFC 4380): the server in bits 32–63 and the client in the last 32 bits,
 *   XORed with 0xffffffff; both are returned because a relay talks to both.
 */
export function embeddedIPv4(v6: ipaddr.IPv6): EmbeddedIPv4 | undefined {
  const b = v6.toByteArray();
  const range = v6.range();
  switch (range) {
    case "ipv4Mapped":
      return { form: "IPv4-mapped", ipv4: [ipv4At(b, 12)], routable: true };
    case "rfc6145":
      return { form: "IPv4-translated", ipv4: [ipv4At(b, 12)], routable: true };
    case "rfc6052":
      return v6.match(NAT64_LOCAL_USE)
        ? { form: "local-use NAT64 64:ff9b:1::/48", ipv4: [], routable: false }
        : { form: "NAT64 64:ff9b::/96", ipv4: [ipv4At(b, 12)], routable: true };
    case "6to4":
      return { form: "6to4", ipv4: [ipv4At(b, 2)], routable: true };
    case "teredo":
      return { form: "Teredo", ipv4: [ipv4At(b, 4), ipv4At(b, 12, 0xff)], routable: true };
  }
  // `::` and `::1` are classified by range() (unspecified, loopback) and never get here.
  if (range === "unicast" && b.slice(0, 12).every((x) => x === 0)) {
    return { form: "IPv4-compatible", ipv4: [ipv4At(b, 12)], routable: false };
  }
  return undefined;
}

/**
 * Parses an IP address literal (IPv4 or IPv6, brackets and a `%zone` allowed) with IPv6 put in
 * canonical form first: ipaddr.js reads the deprecated `::a.b.c.d` as IPv4-mapped
 * `::ffff:a.b.c.d`, and the system resolver prints IPv4-compatible answers exactly that way, so
 * the WHATWG URL host parser (built into Node, RFC 4291 text forms) rewrites it to `::7f00:1`.
 * @throws Error when `ip` is not an IP address.
 */
export function parseIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const bare = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!bare.includes(":")) return ipaddr.IPv4.parse(bare);
  const canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return ipaddr.IPv6.parse(canonical);
}
