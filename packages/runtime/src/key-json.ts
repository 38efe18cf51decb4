/**
 * The JSON shape of an API key without its secret (docs/api/openapi.yaml, `/v1/keys`). The edge builds it
 * from the protobuf ApiKey for API answers and auth from its own record for `key.*` webhook
 * events; both return this type, so the two cannot drift apart.
 */

/** A key's own rate limit as JSON. */
export interface RateLimitJson {
  limit: number;
  windowSeconds: number;
  algorithm: string | null;
}

/** JSON shape of a key without its secret. */
export interface KeyJson {
  id: string;
  prefix: string;
  name: string;
  scopes: string[];
  orgId: string;
  metadata: Record<string, unknown>;
  expiresAt: string | null;
  rateLimit: RateLimitJson | null;
  createdAt: string | null;
  lastUsedAt: string | null;
  revoked: boolean;
}
