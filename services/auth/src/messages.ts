/**
 * The one place where domain objects become protobuf messages and back (auth.proto).
 * Secrets never pass through here: ApiKey has no key and no hash.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { auth } from "@datahub/proto";
import type { SessionView } from "./sessions/console-sessions";
import type { ApiKeyInfo, Org, RateLimitPolicy, VerifyResult, RateLimitAlgorithm } from "./types";

type ApiKeyInit = MessageInitShape<typeof auth.ApiKeySchema>;
type RateLimitInit = MessageInitShape<typeof auth.RateLimitSchema>;
type VerifyInit = MessageInitShape<typeof auth.VerifyKeyResponseSchema>;

const ts = (d: Date | null): Timestamp | undefined => (d ? timestampFromDate(d) : undefined);

/** Timestamp → Date (undefined stays undefined). */
export function dateFrom(t: Timestamp | undefined): Date | undefined {
  return t ? timestampDate(t) : undefined;
}

/** RateLimit message → policy candidate (validated by KeyManager). */
export function rateLimitFrom(rl: auth.RateLimit | undefined): RateLimitPolicy | undefined {
  // uint64 fields are bigint in the generated code (jstype=JS_NUMBER is not honoured by protobuf-es v2).
  return rl ? { limit: Number(rl.limit), windowSeconds: Number(rl.windowSeconds), algorithm: rl.algorithm as RateLimitAlgorithm } : undefined;
}

function rateLimitMessage(rl: RateLimitPolicy | null): RateLimitInit | undefined {
  return rl ? { limit: BigInt(rl.limit), windowSeconds: BigInt(rl.windowSeconds), algorithm: rl.algorithm } : undefined;
}

/** Org → message. */
export function orgMessage(o: Org): MessageInitShape<typeof auth.OrgSchema> {
  return { id: o.id, name: o.name, createdAt: ts(o.createdAt) };
}

/** ApiKeyInfo → ApiKey message. */
export function apiKeyMessage(k: ApiKeyInfo): ApiKeyInit {
  return {
    id: k.id,
    orgId: k.orgId,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    metadata: k.metadata,
    expiresAt: ts(k.expiresAt),
    rateLimit: rateLimitMessage(k.rateLimit),
    createdAt: ts(k.createdAt),
    lastUsedAt: ts(k.lastUsedAt),
    revoked: k.revokedAt !== null,
    root: k.root,
  };
}

const VERIFY_CODES: Record<VerifyResult["code"], auth.VerifyCode> = {
  VALID: auth.VerifyCode.VALID,
  NOT_FOUND: auth.VerifyCode.NOT_FOUND,
  REVOKED: auth.VerifyCode.REVOKED,
  EXPIRED: auth.VerifyCode.EXPIRED,
  MALFORMED: auth.VerifyCode.MALFORMED,
};

/** VerifyResult → VerifyKeyResponse (docs/reference/grpc.md: fields 1-5, plus 6-8). */
export function verifyMessage(r: VerifyResult): VerifyInit {
  return {
    valid: r.valid,
    keyId: r.keyId ?? "",
    orgId: r.orgId ?? "",
    scopes: r.scopes,
    code: VERIFY_CODES[r.code],
    rateLimit: rateLimitMessage(r.rateLimit),
    expiresAt: ts(r.expiresAt),
    root: r.root,
  };
}

/** A live console session as `auth.Session`. */
export function sessionMessage(s: SessionView): MessageInitShape<typeof auth.SessionSchema> {
  return { expiresAt: timestampFromDate(s.expiresAt), key: verifyMessage(s.key), keyName: s.keyName };
}
