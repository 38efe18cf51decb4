/**
 * The internal gRPC port's caller check as a pure decision (the wire is tested in
 * test/e2e/internal-grpc.security.int.test.ts): tokens, API keys by scope, and everything else.
 */
import { generateApiKey, GrpcStatus, judgeCaller, bearerOf, isOpenMethod, TokenSet, type AuthResult, type CallerVerdict } from "@datahub/runtime";

const TOKEN = "internal-token-0123456789abcdefghijklmnop";
const OLD = "previous-token-0123456789abcdefghijklmnop";
const VERIFY = "/datahub.auth.v1.AuthService/VerifyKey";
const CHECK = "/datahub.ratelimit.v1.RateLimitService/Check";
const CREATE_KEY = "/datahub.auth.v1.AuthService/CreateKey";

const principal = (scopes: string[]): AuthResult => ({ status: "valid", principal: { keyId: "k", orgId: "o", scopes, root: false } });

async function judge(path: string, credential: string | undefined, result?: AuthResult): Promise<CallerVerdict> {
  return judgeCaller(path, credential, new TokenSet([TOKEN, OLD]), result === undefined ? undefined : () => result);
}

describe("internal gRPC caller check", () => {
  it("lets either token of a rotation call every RPC", async () => {
    for (const t of [TOKEN, OLD]) {
      for (const path of [VERIFY, CHECK, CREATE_KEY]) expect((await judge(path, t)).outcome).toBe("internal");
    }
  });

  it("refuses a missing, wrong or near-miss token as UNAUTHENTICATED with one message", async () => {
    const verdicts = await Promise.all([undefined, "", TOKEN.slice(0, -1), TOKEN + "x", TOKEN.toUpperCase()].map((c) => judge(CREATE_KEY, c)));
    for (const v of verdicts) expect(v.refusal?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(new Set(verdicts.map((v) => v.refusal?.details)).size).toBe(1);
  });

  it("allows an API key exactly the RPCs its scopes name", async () => {
    const key = generateApiKey();
    expect((await judge(VERIFY, key, principal(["auth:verify"]))).outcome).toBe("key");
    expect((await judge(CHECK, key, principal(["ratelimit:check"]))).outcome).toBe("key");
    expect((await judge(CHECK, key, principal(["ratelimit:*"]))).outcome).toBe("key");
    for (const path of [VERIFY, CHECK]) expect((await judge(path, key, principal(["*"]))).outcome).toBe("key");
    expect((await judge(CHECK, key, principal(["auth:verify"]))).refusal?.code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect((await judge(VERIFY, key, principal(["orders:read"]))).refusal?.details).toContain("auth:verify");
    // `*` is not the internal token: management RPCs stay closed to every key, root keys included.
    const denied = await judge(CREATE_KEY, key, { status: "valid", principal: { keyId: "r", orgId: "root", scopes: ["*"], root: true } });
    expect(denied.refusal?.code).toBe(GrpcStatus.PERMISSION_DENIED);
  });

  it("answers an unknown or revoked key UNAUTHENTICATED, and a key that cannot be verified UNAVAILABLE", async () => {
    const key = generateApiKey();
    expect((await judge(VERIFY, key, { status: "invalid" })).refusal?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await judge(VERIFY, key, { status: "unavailable" })).refusal?.code).toBe(GrpcStatus.UNAVAILABLE);
    // A port without a key verifier accepts tokens only.
    expect((await judge(VERIFY, key)).refusal?.code).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  it("waits for a key being verified and judges it then", async () => {
    const v = judgeCaller(VERIFY, generateApiKey(), new TokenSet([TOKEN]), () => Promise.resolve(principal(["auth:verify"])));
    expect(v).toBeInstanceOf(Promise);
    expect((await v).outcome).toBe("key");
  });

  it("reads exactly one `Bearer` value; anything else is no credential", () => {
    expect(bearerOf([`Bearer ${TOKEN}`])).toBe(TOKEN);
    expect(bearerOf([`bearer ${TOKEN}`])).toBe(TOKEN);
    expect(bearerOf([])).toBeUndefined();
    expect(bearerOf([`Bearer ${TOKEN}`, `Bearer ${OLD}`])).toBeUndefined();
    expect(bearerOf([`Basic ${TOKEN}`])).toBeUndefined();
    expect(bearerOf([Buffer.from(`Bearer ${TOKEN}`)])).toBeUndefined();
    expect(bearerOf([`Bearer ${TOKEN} extra`])).toBeUndefined();
  });

  it("leaves only health checks and reflection open", () => {
    expect(isOpenMethod("/grpc.health.v1.Health/Check")).toBe(true);
    expect(isOpenMethod("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")).toBe(true);
    expect(isOpenMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")).toBe(true);
    expect(isOpenMethod(VERIFY)).toBe(false);
    expect(isOpenMethod("/grpc.health.v1.HealthX/Check")).toBe(false);
  });
});
