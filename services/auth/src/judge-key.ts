import type { StoredKey, VerifyResult } from "./types";

const INVALID = { valid: false, scopes: [] as string[], rateLimit: null, expiresAt: null, root: false } as const;

/**
 * What a stored key is worth at `now`: VALID with its scopes and rate limit, or why not. One rule
 * for VerifyKey and for console sessions, which live exactly as long as their key.
 */
export function judgeKey(rec: StoredKey | null, now: number): VerifyResult {
  if (!rec) return { ...INVALID, scopes: [], code: "NOT_FOUND" };
  const found = { ...INVALID, scopes: [], keyId: rec.id, orgId: rec.orgId, expiresAt: rec.expiresAt, root: rec.root };
  if (rec.revokedAt && rec.revokedAt.getTime() <= now) return { ...found, code: "REVOKED" };
  if (rec.expiresAt && rec.expiresAt.getTime() <= now) return { ...found, code: "EXPIRED" };
  return { ...found, valid: true, code: "VALID", scopes: rec.scopes, rateLimit: rec.rateLimit };
}
