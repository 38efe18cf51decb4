/**
 * In-memory fakes for unit tests of the key cache and the edge: a VerifyKey backend with a controllable outage and
 * call counting, a manual clock, and a capturing registry.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { auth } from "@datahub/proto";
import { generateApiKey, GrpcStatus } from "@datahub/runtime";

/** A manual clock for TTL tests. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** An UNAVAILABLE error shaped like grpc-js's. */
export function unavailableError(): Error {
  return Object.assign(new Error("14 UNAVAILABLE: connect ECONNREFUSED"), { code: GrpcStatus.UNAVAILABLE, details: "connect ECONNREFUSED", metadata: {} });
}

interface FakeKey {
  keyId: string;
  orgId: string;
  scopes: string[];
  code: auth.VerifyCode;
  expiresAtMs?: number;
  rateLimit?: { limit: number; windowSeconds: number; algorithm: string };
}

/** A VerifyKey backend: keys by value, a `down` switch, and a record of calls. */
export class FakeAuth {
  readonly keys = new Map<string, FakeKey>();
  calls: string[] = [];
  down = false;
  /** When set, verify waits for this promise before answering (to hold calls in flight). */
  gate: Promise<void> | undefined;

  /** Adds a valid key and returns it. */
  addKey(opts: Partial<FakeKey> = {}): string {
    const key = generateApiKey();
    this.keys.set(key, { keyId: `key-${this.keys.size + 1}`, orgId: "org-1", scopes: ["*"], code: auth.VerifyCode.VALID, ...opts });
    return key;
  }

  revoke(key: string): void {
    this.keys.get(key)!.code = auth.VerifyCode.REVOKED;
  }

  readonly verify = async (key: string): Promise<auth.VerifyKeyResponse> => {
    this.calls.push(key);
    if (this.gate) await this.gate;
    if (this.down) throw unavailableError();
    const k = this.keys.get(key);
    if (!k) return create(auth.VerifyKeyResponseSchema, { valid: false, code: auth.VerifyCode.NOT_FOUND });
    const valid = k.code === auth.VerifyCode.VALID;
    return create(auth.VerifyKeyResponseSchema, {
      valid,
      code: k.code,
      keyId: valid ? k.keyId : "",
      orgId: valid ? k.orgId : "",
      scopes: valid ? k.scopes : [],
      expiresAt: k.expiresAtMs ? timestampFromMs(k.expiresAtMs) : undefined,
      rateLimit: k.rateLimit ? { limit: BigInt(k.rateLimit.limit), windowSeconds: BigInt(k.rateLimit.windowSeconds), algorithm: k.rateLimit.algorithm } : undefined,
    });
  };
}
