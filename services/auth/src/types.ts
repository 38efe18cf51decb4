/** Domain types of the auth service; the gRPC layer maps them to and from protobuf messages. */

/** A JSON object (key metadata). */
export type JsonObject = { [k: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** Names the rate-limit algorithms a key may ask for; "" means the deployment's default. */
export const RATE_LIMIT_ALGORITHMS = ["", "sliding-log", "gcra", "sliding-window", "fixed-window"] as const;
export type RateLimitAlgorithm = (typeof RATE_LIMIT_ALGORITHMS)[number];

/** A key's own rate-limit policy. */
export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
  algorithm: RateLimitAlgorithm;
}

/** An organisation. */
export interface Org {
  id: string;
  name: string;
  createdAt: Date;
}

/** An API key as management calls return it: never the key, never its hash. */
export interface ApiKeyInfo {
  id: string;
  orgId: string;
  name: string;
  /** First 8 characters after `dh_` / `dhr_`. */
  prefix: string;
  scopes: string[];
  metadata: JsonObject;
  /** Effective end of validity (own expiry or end of a rotation grace period). */
  expiresAt: Date | null;
  rateLimit: RateLimitPolicy | null;
  root: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** Id of the key that replaced this one by rotation. */
  supersededBy: string | null;
}

/** A key as the store holds it: {@link ApiKeyInfo} plus the SHA-256 hex of the key. */
export interface StoredKey extends ApiKeyInfo {
  keyHash: string;
}

/** A key together with its secret: returned once, by create and rotate. */
export interface IssuedKey {
  /** The full key. Show it once; it is not stored anywhere. */
  key: string;
  apiKey: ApiKeyInfo;
}

/** The outcome codes of VerifyKey (docs/reference/grpc.md). */
export type VerifyCode = "VALID" | "NOT_FOUND" | "REVOKED" | "EXPIRED" | "MALFORMED";

/** Result of {@link KeyManager.verifyKey}. */
export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  /** Set whenever the key was found (also for REVOKED and EXPIRED, for request logs). */
  keyId?: string;
  orgId?: string;
  /** Only for VALID. */
  scopes: string[];
  rateLimit: RateLimitPolicy | null;
  expiresAt: Date | null;
  root: boolean;
}

/** Drops the hash from a stored key. */
export function toInfo(k: StoredKey): ApiKeyInfo {
  const { keyHash: _hash, ...info } = k;
  return info;
}
