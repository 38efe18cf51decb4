/**
 * Who may call the internal gRPC port (docs/security.md, "Internal gRPC"). Every RPC carries
 * `authorization: Bearer <credential>` in its metadata, on loopback too:
 *
 * - `DATAHUB_INTERNAL_TOKEN` (DataHub's own processes) may call every RPC;
 * - a DataHub API key (the user's own services) may call only the two RPCs fixed for outside
 *   callers, each behind a scope: `auth:verify` → `AuthService.VerifyKey`, `ratelimit:check` →
 *   `RateLimitService.Check` (`*` holds both); anything else is PERMISSION_DENIED;
 * - no, malformed, unknown, revoked or expired credential: UNAUTHENTICATED.
 *
 * Only `grpc.health.v1.Health` and server reflection are open (kubelet probes, grpcurl).
 *
 * It is a grpc-js server interceptor, the library's own seam, so every method kind (unary and
 * the exchange streams) passes the same check; an exchange stream is checked once, when it opens.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Metadata, ServerInterceptingCall, ServerListenerBuilder, ResponderBuilder, status, type ServerInterceptor } from "@grpc/grpc-js";
import type { Registry } from "prom-client";
import { isWellFormedApiKey } from "../api-key";
import { counter } from "../metrics";
import { hasScope } from "../scopes";
import type { AuthResult } from "../keys/key-cache";

/** The RPCs an API key may call, and the scope each needs. */
export const KEY_CALLABLE: Readonly<Record<string, string>> = Object.freeze({
  "/datahub.auth.v1.AuthService/VerifyKey": "auth:verify",
  "/datahub.ratelimit.v1.RateLimitService/Check": "ratelimit:check",
});

/** Method paths that need no credential: health checks and server reflection. */
export function isOpenMethod(path: string): boolean {
  return path.startsWith("/grpc.health.v1.Health/") || path.startsWith("/grpc.reflection.");
}

/** Verifies an API-key credential (the key cache in production; a fake in unit tests). */
export type KeyVerifier = (key: string) => AuthResult | Promise<AuthResult>;

/** How a call's credential was judged: the `outcome` label of `datahub_grpc_server_auth_total`. */
export type CallerOutcome = "internal" | "key" | "unauthenticated" | "permission_denied" | "unavailable";

/** A judged call: its outcome and, when refused, the status it gets. */
export interface CallerVerdict {
  outcome: CallerOutcome;
  refusal?: { code: status; details: string };
}

const INTERNAL: CallerVerdict = Object.freeze({ outcome: "internal" });
const KEY: CallerVerdict = Object.freeze({ outcome: "key" });
// One message for every unauthenticated case: nothing to learn about which part was wrong.
const UNAUTHENTICATED: CallerVerdict = Object.freeze({
  outcome: "unauthenticated",
  refusal: { code: status.UNAUTHENTICATED, details: "a valid credential is required: metadata `authorization: Bearer <internal token or API key>`" },
});
const UNAVAILABLE: CallerVerdict = Object.freeze({
  outcome: "unavailable",
  refusal: { code: status.UNAVAILABLE, details: "the API key cannot be verified right now; retry shortly" },
});

/**
 * The accepted internal tokens, compared in constant time: each is kept as its SHA-256, and a
 * presented value is hashed and compared with every one (no early exit), so neither the time
 * nor the length of a comparison depends on the secret.
 */
export class TokenSet {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new Error("at least one internal token is required");
    this.digests = tokens.map(digest);
  }

  /** True when `value` is one of the tokens. */
  matches(value: string): boolean {
    const d = digest(value);
    let ok = false;
    for (const t of this.digests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The credential of `authorization: Bearer <x>`; undefined when absent, repeated or not a bearer. */
export function bearerOf(values: readonly unknown[]): string | undefined {
  if (values.length !== 1 || typeof values[0] !== "string") return undefined;
  const m = /^Bearer +([\x21-\x7e]{1,1024})$/i.exec(values[0]);
  return m?.[1];
}

/**
 * Judges one call to `path` presenting `credential`. Synchronous for tokens and for keys the
 * cache holds; a promise while a key is being verified.
 */
export function judgeCaller(path: string, credential: string | undefined, tokens: TokenSet, verifyKey: KeyVerifier | undefined): CallerVerdict | Promise<CallerVerdict> {
  if (credential === undefined) return UNAUTHENTICATED;
  if (!isWellFormedApiKey(credential)) return tokens.matches(credential) ? INTERNAL : UNAUTHENTICATED;
  if (verifyKey === undefined) return UNAUTHENTICATED;
  const result = verifyKey(credential);
  return result instanceof Promise ? result.then((r) => keyVerdict(path, r)) : keyVerdict(path, result);
}

function keyVerdict(path: string, result: AuthResult): CallerVerdict {
  if (result.status === "unavailable") return UNAVAILABLE;
  if (result.status === "invalid") return UNAUTHENTICATED;
  const scope = KEY_CALLABLE[path];
  if (scope !== undefined && hasScope(result.principal.scopes, scope)) return KEY;
  return {
    outcome: "permission_denied",
    refusal: {
      code: status.PERMISSION_DENIED,
      details:
        scope === undefined
          ? `${methodName(path)} is for DataHub's own services; an API key may call AuthService/VerifyKey (scope auth:verify) and RateLimitService/Check (scope ratelimit:check)`
          : `the API key lacks the scope ${scope} that ${methodName(path)} needs`,
    },
  };
}

/** `/datahub.auth.v1.AuthService/VerifyKey` → `AuthService/VerifyKey`. */
function methodName(path: string): string {
  const [service = "", method = ""] = path.slice(1).split("/");
  return `${service.slice(service.lastIndexOf(".") + 1)}/${method}`;
}

/** Options for {@link callerAuthInterceptor}. */
export interface CallerAuthOptions {
  /** `DATAHUB_INTERNAL_TOKEN`'s values (two during a rotation). */
  tokens: readonly string[];
  /** Verifies API-key credentials; without it, only the internal token is accepted. */
  verifyKey?: KeyVerifier;
  /** Where `datahub_grpc_server_auth_total` is counted. */
  registry: Registry;
}

/** The server interceptor that enforces {@link judgeCaller} on every call of a {@link GrpcHost}. */
export function callerAuthInterceptor(opts: CallerAuthOptions): ServerInterceptor {
  const tokens = new TokenSet(opts.tokens);
  const judged = counter(opts.registry, {
    name: "datahub_grpc_server_auth_total",
    help: "Credential checks of calls to the internal gRPC port, by service, method and outcome (internal, key, unauthenticated, permission_denied, unavailable).",
    labelNames: ["service", "method", "outcome"] as const,
  });
  return (descriptor, call) => {
    const path = descriptor.path;
    if (isOpenMethod(path)) return new ServerInterceptingCall(call);
    const slash = path.indexOf("/", 1);
    const labels = { service: path.slice(1, slash), method: path.slice(slash + 1) };
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata: Metadata, next: (m: Metadata) => void) => {
        const settle = (v: CallerVerdict) => {
          judged.inc({ ...labels, outcome: v.outcome });
          // The credential stops here: no handler, log line or trace carrier ever sees it.
          metadata.remove("authorization");
          if (v.refusal === undefined) next(metadata);
          else call.sendStatus({ ...v.refusal, metadata: new Metadata() });
        };
        let verdict: CallerVerdict | Promise<CallerVerdict>;
        try {
          verdict = judgeCaller(path, bearerOf(metadata.get("authorization")), tokens, opts.verifyKey);
        } catch {
          verdict = UNAVAILABLE;
        }
        if (verdict instanceof Promise) verdict.then(settle, () => settle(UNAVAILABLE));
        else settle(verdict);
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}
