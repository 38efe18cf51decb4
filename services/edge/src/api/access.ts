/**
 * Authorization rules of the `/v1` API: scopes per endpoint, root-only endpoints, which org a
 * call acts on (org isolation), and the grant rule (a key may give only scopes it holds).
 */
import type { Request, RequestHandler } from "express";
import { canGrant, hasScope } from "@datahub/runtime";
import type { auth } from "@datahub/proto";
import type { Principal } from "../context";
import { forbidden, notFound } from "./errors";
import type { ManagementApiDeps } from "./deps";
import { principalOf, rpcOptions } from "./request-context";

/** Middleware: 403 unless the caller holds `scope` (a root key holds every scope). */
export function requireScope(scope: string): RequestHandler {
  return (req, _res, next) => {
    const p = principalOf(req);
    if (!p.root && !hasScope(p.scopes, scope)) throw forbidden(`this key lacks the scope "${scope}"`);
    next();
  };
}

/** Middleware: 403 unless the caller is a root key. */
export const requireRoot: RequestHandler = (req, _res, next) => {
  if (!principalOf(req).root) throw forbidden("only a root key may manage orgs");
  next();
};

/** 403 unless `p` may give `scopes` to a key (root may give any). */
export function assertCanGrant(p: Principal, scopes: readonly string[]): void {
  if (p.root) return;
  if (!canGrant(p.scopes, scopes)) {
    const missing = scopes.filter((s) => !canGrant(p.scopes, [s]));
    throw forbidden(`a key may grant only scopes it holds; not held: ${missing.join(", ")}`);
  }
}

/**
 * The org a call acts on. Without `requested` (or with the caller's own org) it is the caller's
 * org. Only a root key may name another org, which must exist; for anyone else another org's id
 * is answered like any other object of another org: 404.
 */
export async function targetOrg(req: Request, deps: ManagementApiDeps, requested: string | undefined): Promise<string> {
  const p = principalOf(req);
  if (requested === undefined || requested === p.orgId) return p.orgId;
  if (!p.root) throw notFound("org");
  const { orgs } = await deps.auth.listOrgs({}, rpcOptions(req));
  if (!orgs.some((o) => o.id === requested)) throw notFound("org");
  return requested;
}

/**
 * Guards changes to an existing key by a non-root caller: a root key can only be changed by a
 * root key, and `rotate` hands out a new secret carrying the target's scopes, so the caller must
 * be able to grant them (otherwise rotating a stronger key would be an escalation).
 */
export function assertMayModify(p: Principal, target: auth.ApiKey, opts: { grantsTargetScopes: boolean }): void {
  if (p.root) return;
  if (target.root) throw forbidden("only a root key may change a root key");
  if (opts.grantsTargetScopes) assertCanGrant(p, target.scopes);
}
