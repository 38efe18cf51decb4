/**
 * Which rate-limit policies apply to a request (docs/reference/datahub-yaml.md, "Which limits apply"), as descriptors of ONE atomic
 * CheckRequest group. Every descriptor of a group carries the same Redis Cluster hash tag (the
 * principal), so the ratelimit service can check the group in one slot.
 */
import { ratelimit } from "@datahub/proto";
import type { MessageInitShape } from "@bufbuild/protobuf";

/** A policy as configured (datahub.yaml or a key's own). */
export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
  /** `sliding-log` | `gcra` | `sliding-window` | `fixed-window`; empty/undefined = the service default. */
  algorithm?: string;
  /** When the limiter cannot answer (docs/ratelimiting.md); undefined = `DATAHUB_RATELIMIT_FAILURE_MODE`. */
  failureMode?: FailureMode;
}

/** What a policy does while the ratelimit service or its Redis is down: see gate.ts. */
export type FailureMode = "open" | "closed" | "local";

/** The failure modes datahub.yaml accepts. */
export const FAILURE_MODES = ["open", "closed", "local"] as const;

/** The policy names that appear in `RateLimit`/`RateLimit-Policy` headers. */
export type PolicyName = "default" | "key" | "route" | "anonymous";

export type DescriptorInit = MessageInitShape<typeof ratelimit.DescriptorSchema>;

/** One group to check, with the policy behind each descriptor (same order). */
export interface PolicyGroup {
  descriptors: DescriptorInit[];
  names: PolicyName[];
  windows: number[];
  /** Limits as numbers (for headers when a decision does not echo its limit). */
  limits: number[];
  /** Each policy's own failure mode (undefined: the configured default). */
  failureModes: Array<FailureMode | undefined>;
}

const ALGORITHMS: Record<string, ratelimit.Algorithm> = {
  "": ratelimit.Algorithm.UNSPECIFIED,
  "sliding-log": ratelimit.Algorithm.SLIDING_LOG,
  gcra: ratelimit.Algorithm.GCRA,
  "sliding-window": ratelimit.Algorithm.SLIDING_WINDOW,
  "fixed-window": ratelimit.Algorithm.FIXED_WINDOW,
};

/** The algorithm names datahub.yaml and keys accept. */
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS).filter(Boolean);

/** Maps a config algorithm name to the proto enum; unknown or empty → UNSPECIFIED (the service default). */
export function algorithmOf(name: string | undefined): ratelimit.Algorithm {
  return ALGORITHMS[name ?? ""] ?? ratelimit.Algorithm.UNSPECIFIED;
}

function add(group: PolicyGroup, name: PolicyName, key: string, p: RateLimitPolicy): void {
  // uint64 fields are bigint in protobuf-es v2 (it does not honour jstype = JS_NUMBER).
  group.descriptors.push({ key, limit: BigInt(p.limit), windowMs: BigInt(p.windowSeconds * 1000), cost: 1n, algorithm: algorithmOf(p.algorithm) });
  group.names.push(name);
  group.windows.push(p.windowSeconds);
  group.limits.push(p.limit);
  group.failureModes.push(p.failureMode);
}

/**
 * Policies for a request with a valid key: the key's own and the route's (both per key), or
 * `defaults` when neither sets one.
 */
export function keyPolicies(keyId: string, keyPolicy: RateLimitPolicy | undefined, routeName: string, routePolicy: RateLimitPolicy | undefined, defaults: RateLimitPolicy): PolicyGroup {
  const group: PolicyGroup = { descriptors: [], names: [], windows: [], limits: [], failureModes: [] };
  const tag = "{k:" + keyId + "}:";
  if (keyPolicy) add(group, "key", tag + "key", keyPolicy);
  if (routePolicy) add(group, "route", tag + "route:" + routeName, routePolicy);
  if (!keyPolicy && !routePolicy) add(group, "default", tag + "default", defaults);
  return group;
}

/**
 * Policies for a request without a valid key (a public route, or one about to get 401): the
 * anonymous limit per client IP, plus a public route's own limit per IP.
 */
export function anonymousPolicies(ip: string, anonymous: RateLimitPolicy, routeName?: string, routePolicy?: RateLimitPolicy): PolicyGroup {
  const group: PolicyGroup = { descriptors: [], names: [], windows: [], limits: [], failureModes: [] };
  const tag = "{ip:" + ip + "}:";
  add(group, "anonymous", tag + "anon", anonymous);
  if (routeName && routePolicy) add(group, "route", tag + "route:" + routeName, routePolicy);
  return group;
}
