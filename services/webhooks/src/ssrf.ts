import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { embeddedIPv4, parseIp } from "./embedded-ipv4";

/**
 * The SSRF guard: which addresses a webhook delivery may reach. Range classification comes from
 * ipaddr.js (its `range()` knows loopback, RFC 1918, link-local, CGNAT, unspecified, multicast,
 * broadcast, reserved, ULA, IPv4-mapped, NAT64 …); only the policy below is ours. The rules, as a
 * table: docs/webhooks.md, "SSRF guard".
 */

/** IPv4/IPv6 ranges a delivery may reach: anything else that ipaddr.js names is special-purpose. */
const PUBLIC_RANGES = new Set(["unicast"]);

/**
 * IANA's global unicast space (RFC 4291 §2.4). ipaddr.js calls every address it has no name for
 * "unicast", including the unassigned rest of `::/8` where the deprecated IPv4-compatible form lives.
 */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

/** Why an address or URL was refused, for an INVALID_ARGUMENT message or an attempt's error. */
export class SsrfError extends Error {
  override name = "SsrfError";
}

/** Parsed `DATAHUB_WEBHOOKS_ALLOW_CIDRS`. */
export type AllowList = Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

/** Parses a list of CIDRs (already syntax-checked by the config schema). */
export function parseAllowList(cidrs: string[]): AllowList {
  return cidrs.map((c) => ipaddr.parseCIDR(c));
}

function matchesAllow(addr: ipaddr.IPv4 | ipaddr.IPv6, allow: AllowList): boolean {
  return allow.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

/**
 * Returns undefined when `ip` (a literal address) may be reached, else the reason it may not.
 * An allow-listed address is always allowed. An IPv6 address that embeds IPv4 (`::ffff:127.0.0.1`,
 * `::7f00:1`, NAT64, 6to4, Teredo: see {@link embeddedIPv4}) is judged by every IPv4 address it
 * embeds, against the same allow list, so it reaches nothing its IPv4 form could not; a form that
 * is not routed on the Internet is refused unless all its embedded addresses are allow-listed.
 */
export function forbiddenReason(ip: string, allow: AllowList): string | undefined {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = parseIp(ip);
  } catch {
    return `"${ip}" is not an IP address`;
  }
  if (matchesAllow(addr, allow)) return undefined;
  if (addr.kind() === "ipv4") {
    const range = addr.range();
    return PUBLIC_RANGES.has(range) ? undefined : `address ${ip} is ${range}`;
  }
  const v6 = addr as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    const { form, ipv4, routable } = embedded;
    const listed = ipv4.filter((v4) => matchesAllow(v4, allow));
    const bad = ipv4.find((v4) => !listed.includes(v4) && !PUBLIC_RANGES.has(v4.range()));
    if (bad) return `address ${ip} (${form}) embeds the ${bad.range()} IPv4 address ${bad.toString()}`;
    if (routable || (ipv4.length > 0 && listed.length === ipv4.length)) return undefined;
    return `address ${ip} is ${form}, which is not routed on the Internet`;
  }
  const range = v6.range();
  if (!PUBLIC_RANGES.has(range)) return `address ${ip} is ${range}`;
  return v6.match(GLOBAL_UNICAST_V6) ? undefined : `address ${ip} is outside the global unicast range 2000::/3`;
}

/** Options shared by the checks below. */
export interface GuardOptions {
  allow: AllowList;
  /** DNS resolution (tests replace it); defaults to the OS resolver, every address. */
  resolve?: (host: string) => Promise<string[]>;
}

const systemResolve = (host: string): Promise<string[]> =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs.map((a) => a.address)))),
  );

/**
 * Checks an endpoint URL when it is created or changed: http(s) only, no credentials, and every
 * address the host resolves to must be allowed (a host that does not resolve is refused too).
 * @throws SsrfError naming the problem (never echoes credentials).
 */
export async function checkEndpointUrl(raw: string, opts: GuardOptions): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfError("not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SsrfError("only http and https URLs are allowed");
  if (url.username || url.password) throw new SsrfError("credentials in the URL are not allowed");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) {
    const refusal = literalRefusal(url, opts.allow);
    if (refusal) throw new SsrfError(refusal);
    return url;
  }
  let addresses: string[];
  try {
    addresses = await (opts.resolve ?? systemResolve)(host);
  } catch {
    throw new SsrfError(`host "${host}" does not resolve`);
  }
  if (addresses.length === 0) throw new SsrfError(`host "${host}" does not resolve`);
  const refusal = resolvedRefusal(host, addresses, opts.allow);
  if (refusal) throw new SsrfError(refusal);
  return url;
}

/**
 * Why a URL whose host is an IP literal is refused, or undefined when it is not an IP literal or
 * is allowed. IP literals never go through a DNS lookup, so the connect-time guard cannot see them.
 */
export function literalRefusal(url: URL, allow: AllowList): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!isIP(host)) return undefined;
  const reason = forbiddenReason(host, allow);
  return reason ? `refused by the SSRF guard: ${reason}` : undefined;
}

/** `dns.lookup` with `all: true`. */
export type ResolveAll = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** Why `host` is refused when it resolves to `addresses` (the first forbidden one), or undefined. */
function resolvedRefusal(host: string, addresses: readonly string[], allow: AllowList): string | undefined {
  for (const a of addresses) {
    const reason = forbiddenReason(a, allow);
    if (reason) return `refused by the SSRF guard: "${host}" resolves to a forbidden ${reason.replace(/^address /, "")}`;
  }
  return undefined;
}

/**
 * A `lookup` for net/tls `connect` (undici Agent `connect.lookup`) that resolves like the OS and
 * fails the connection when any resolved address is forbidden. This is the DNS-rebinding defence:
 * the check applies to the address actually dialled, at connect time, not to what the name
 * resolved to when the endpoint was created. (IP-literal URLs never reach a lookup; the sender
 * checks them with {@link literalRefusal} before the request.)
 * @param resolveAll the resolver behind it (tests pass one that answers with chosen addresses).
 */
export function guardedLookup(allow: AllowList, resolveAll: ResolveAll = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: NodeJS.ErrnoException | null) => void)(err);
      const refusal = resolvedRefusal(hostname, addresses.map((a) => a.address), allow);
      if (refusal) {
        const e = new SsrfError(refusal) as Error & { code?: string };
        e.code = "ESSRF";
        return (callback as (e: NodeJS.ErrnoException | null) => void)(e);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
}
