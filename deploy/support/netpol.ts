/**
 * A small NetworkPolicy evaluator for tests (no cluster here): decides whether a connection from
 * one pod to a pod or an external IP on a TCP port is allowed by the rendered policies of one
 * namespace. It covers what our manifests use — podSelector/namespaceSelector matchLabels, ipBlock
 * with except, ports — and follows the API semantics: a pod selected by no policy of a type is
 * open for that type; otherwise the union of the selecting policies' rules applies; a connection
 * needs the source's egress AND the destination's ingress.
 */
export interface Labels {
  [k: string]: string;
}
/** A pod in the policies' namespace, or an address outside the cluster. */
export type Peer = { pod: Labels } | { ip: string } | { namespace: Labels; pod: Labels };

interface Selector {
  matchLabels?: Labels;
}
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  to?: PolicyPeer[];
  from?: PolicyPeer[];
  ports?: Array<{ protocol?: string; port?: number }>;
}
export interface NetworkPolicy {
  metadata: { name: string };
  spec: { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] };
}

const matches = (sel: Selector | undefined, labels: Labels) =>
  Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** True when `ip` is inside `cidr` (IPv4). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToInt(base) / size) * size;
  const n = ipToInt(ip);
  return n >= start && n < start + size;
}

function peerMatches(p: PolicyPeer, peer: Peer): boolean {
  if (p.ipBlock) {
    // ipBlock is for addresses outside the cluster; pods are matched by selectors.
    if (!("ip" in peer)) return false;
    return inCidr(peer.ip, p.ipBlock.cidr) && !(p.ipBlock.except ?? []).some((c) => inCidr(peer.ip, c));
  }
  if ("ip" in peer) return false;
  const inSameNamespace = !("namespace" in peer);
  if (p.namespaceSelector) {
    if (inSameNamespace) return false; // our tests never label their own namespace like the selectors
    return matches(p.namespaceSelector, peer.namespace) && (!p.podSelector || matches(p.podSelector, peer.pod));
  }
  return inSameNamespace && matches(p.podSelector, peer.pod);
}

function ruleAllows(rule: Rule, peers: PolicyPeer[] | undefined, peer: Peer, port: number): boolean {
  const portOk = !rule.ports || rule.ports.some((p) => (p.protocol ?? "TCP") === "TCP" && (p.port === undefined || p.port === port));
  const peerOk = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, peer));
  return portOk && peerOk;
}

function types(p: NetworkPolicy): string[] {
  return p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

/** Whether `from` may open a TCP connection to `to` on `port` under `policies`. */
export function allowed(policies: NetworkPolicy[], from: Peer, to: Peer, port: number): boolean {
  const egressOk = (() => {
    if (!("pod" in from) || "namespace" in from) return true; // only our namespace's pods are policed here
    const selecting = policies.filter((p) => types(p).includes("Egress") && matches(p.spec.podSelector, from.pod));
    if (selecting.length === 0) return true;
    return selecting.some((p) => (p.spec.egress ?? []).some((r) => ruleAllows(r, r.to, to, port)));
  })();
  const ingressOk = (() => {
    if (!("pod" in to) || "namespace" in to) return true;
    const selecting = policies.filter((p) => types(p).includes("Ingress") && matches(p.spec.podSelector, to.pod));
    if (selecting.length === 0) return true;
    return selecting.some((p) => (p.spec.ingress ?? []).some((r) => ruleAllows(r, r.from, from, port)));
  })();
  return egressOk && ingressOk;
}
