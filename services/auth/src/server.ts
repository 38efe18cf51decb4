import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { GrpcStatus, RpcError, type Logger, type ServiceImpl } from "@datahub/runtime";
import { auth } from "@datahub/proto";
import { NotFoundError, PreconditionError, StoreUnavailableError, ValidationError } from "./errors";
import type { KeyManager } from "./key-manager";
import { apiKeyMessage, dateFrom, orgMessage, rateLimitFrom, sessionMessage, verifyMessage } from "./messages";
import type { ConsoleSessions } from "./sessions/console-sessions";
import type { KeyPatch } from "./store/key-store";

type AuthMethods = typeof auth.AuthService extends GenService<infer T> ? T : never;

/**
 * Maps a domain error to the gRPC status the caller acts on. UNAVAILABLE matters most: the edge
 * answers 503 for it (or serves a cached entry), never 401. Unknown errors pass through (INTERNAL).
 */
export function toRpcError(err: unknown, logger: Logger): unknown {
  if (err instanceof RpcError) return err;
  if (err instanceof ValidationError) return new RpcError(GrpcStatus.INVALID_ARGUMENT, err.message);
  if (err instanceof NotFoundError) return new RpcError(GrpcStatus.NOT_FOUND, err.message);
  if (err instanceof PreconditionError) return new RpcError(GrpcStatus.FAILED_PRECONDITION, err.message);
  if (err instanceof StoreUnavailableError) {
    logger.warn({ err: { message: err.causeMessage } }, "postgres unavailable");
    return new RpcError(GrpcStatus.UNAVAILABLE, err.message);
  }
  return err;
}

function patchFrom(req: auth.UpdateKeyRequest): KeyPatch {
  if (req.clearExpiresAt && req.expiresAt) throw new ValidationError("expiresAt", "set expiresAt or clearExpiresAt, not both");
  if (req.clearRateLimit && req.rateLimit) throw new ValidationError("rateLimit", "set rateLimit or clearRateLimit, not both");
  const patch: KeyPatch = {};
  if (req.name !== undefined) patch.name = req.name;
  if (req.scopes !== undefined) patch.scopes = req.scopes.values;
  if (req.metadata !== undefined) patch.metadata = req.metadata;
  if (req.clearExpiresAt) patch.expiresAt = null;
  else if (req.expiresAt !== undefined) patch.expiresAt = dateFrom(req.expiresAt);
  if (req.clearRateLimit) patch.rateLimit = null;
  else if (req.rateLimit !== undefined) patch.rateLimit = rateLimitFrom(req.rateLimit);
  return patch;
}

/** The AuthService handlers (every RPC of auth.proto) over a KeyManager and the console sessions. */
export function createAuthService(keys: KeyManager, sessions: ConsoleSessions, logger: Logger): ServiceImpl<AuthMethods> {
  const impl: ServiceImpl<AuthMethods> = {
    verifyKey: async (req) => verifyMessage(await keys.verifyKey(req.key)),

    createOrg: async (req) => ({ org: orgMessage(await keys.createOrg(req.name)) }),

    listOrgs: async () => ({ orgs: (await keys.listOrgs()).map(orgMessage) }),

    createKey: async (req) => {
      const issued = await keys.createKey({
        orgId: req.orgId,
        name: req.name,
        scopes: req.scopes,
        metadata: req.metadata,
        expiresAt: dateFrom(req.expiresAt),
        rateLimit: rateLimitFrom(req.rateLimit),
      });
      return { apiKey: apiKeyMessage(issued.apiKey), key: issued.key };
    },

    getKey: async (req) => ({ apiKey: apiKeyMessage(await keys.getKey(req.orgId, req.id)) }),

    listKeys: async (req) => {
      const page = await keys.listKeys(req.orgId, { limit: req.limit, cursor: req.cursor, search: req.search });
      return { apiKeys: page.keys.map(apiKeyMessage), nextCursor: page.nextCursor };
    },

    updateKey: async (req) => ({ apiKey: apiKeyMessage(await keys.updateKey(req.orgId, req.id, patchFrom(req))) }),

    revokeKey: async (req) => {
      await keys.revokeKey(req.orgId, req.id);
      return {};
    },

    rotateKey: async (req) => {
      const issued = await keys.rotateKey(req.orgId, req.id, { gracePeriodSeconds: req.gracePeriodSeconds });
      return { apiKey: apiKeyMessage(issued.apiKey), key: issued.key };
    },

    createSession: async (req) => {
      const signIn = await sessions.create(req.key, req.ttlSeconds);
      if (!signIn.valid) return { valid: false, session: { key: verifyMessage(signIn.key) } };
      return { valid: true, token: signIn.token, session: sessionMessage(signIn.session) };
    },

    verifySession: async (req) => {
      const session = await sessions.verify(req.token);
      return session ? { valid: true, session: sessionMessage(session) } : { valid: false };
    },

    endSession: async (req) => {
      await sessions.end(req.token);
      return {};
    },
  };

  // Every handler maps domain errors the same way.
  const guarded: Record<string, (req: unknown, ctx: unknown) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(impl) as Array<[string, (req: unknown, ctx: unknown) => Promise<unknown>]>) {
    guarded[name] = async (req, ctx) => {
      try {
        return await fn(req, ctx);
      } catch (err) {
        throw toRpcError(err, logger);
      }
    };
  }
  return guarded as unknown as ServiceImpl<AuthMethods>;
}
