/**
 * `/v1/keys`: create, list, read, update, revoke and rotate API keys of the caller's org
 * (a root key may act on any org by passing `orgId`). The full key appears only in the 201
 * bodies of create and rotate; nothing here logs a body.
 */
import { Router, type Request } from "express";
import { z } from "zod";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { assertCanGrant, assertMayModify, requireScope, targetOrg } from "./access";
import { jsonBody } from "./body";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed, present } from "./errors";
import { principalOf, routeName, rpcOptions } from "./request-context";
import { cursorJson, keyJson, keyWithSecretJson } from "./serialize";
import {
  OBJECT_ERROR,
  futureDateSchema,
  metadataSchema,
  nameSchema,
  orgQuery,
  pageQuery,
  parseBody,
  parseQuery,
  rateLimitSchema,
  scopesSchema,
  uuidParam,
} from "./validate";

const createKeyBody = z.strictObject(
  {
    name: nameSchema,
    scopes: scopesSchema,
    orgId: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).max(128, { error: "must be at most 128 characters" }).optional(),
    expiresAt: futureDateSchema.nullable().optional(),
    metadata: metadataSchema.optional(),
    rateLimit: rateLimitSchema.nullable().optional(),
  },
  OBJECT_ERROR,
);

/** Absent fields stay as they are; `expiresAt: null` / `rateLimit: null` remove them. */
const patchKeyBody = z.strictObject(
  {
    name: nameSchema.optional(),
    scopes: scopesSchema.optional(),
    metadata: metadataSchema.optional(),
    expiresAt: futureDateSchema.nullable().optional(),
    rateLimit: rateLimitSchema.nullable().optional(),
  },
  OBJECT_ERROR,
);

/** A key list page, optionally searched by name (contains, case-insensitive) or id. */
const listKeysQuery = pageQuery.extend({
  search: z.string().max(100, { error: "must be at most 100 characters" }).optional(),
});

/** Up to 7 days, the auth service's limit. */
const rotateBody = z.strictObject(
  { gracePeriodSeconds: z.int({ error: "must be an integer" }).min(0, { error: "must be from 0 to 604800" }).max(604_800, { error: "must be from 0 to 604800" }).optional() },
  OBJECT_ERROR,
);


type RateLimitInput = z.output<typeof rateLimitSchema>;
const rateLimitInit = (r: RateLimitInput) => ({ limit: BigInt(r.limit), windowSeconds: BigInt(r.windowSeconds), algorithm: r.algorithm ?? "" });

/** The `:id` path parameter; anything that is not a key id cannot exist: 404 without a lookup. */
const keyId = (req: Request): string => uuidParam(req, "id", "key");

/** Routes of `/v1/keys`, `/v1/keys/:id` and `/v1/keys/:id/rotate`. */
export function keysRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  const body = jsonBody(deps.config.limits.maxBodyBytes);
  const read = requireScope("keys:read");
  const write = requireScope("keys:write");

  /** Loads the target key in the org the call acts on (404 when absent or another org's). */
  async function loadKey(req: Request, orgId: string, id: string) {
    const { apiKey } = await deps.auth.getKey({ orgId, id }, rpcOptions(req));
    return present(apiKey, "apiKey");
  }

  router
    .route("/v1/keys")
    .all(routeName("/v1/keys"))
    .post(write, ...body, async (req, res) => {
      const b = parseBody(createKeyBody, req);
      const p = principalOf(req);
      const orgId = await targetOrg(req, deps, b.orgId);
      assertCanGrant(p, b.scopes);
      const r = await deps.auth.createKey(
        {
          orgId,
          name: b.name,
          scopes: b.scopes,
          metadata: b.metadata,
          expiresAt: b.expiresAt == null ? undefined : timestampFromMs(b.expiresAt),
          rateLimit: b.rateLimit == null ? undefined : rateLimitInit(b.rateLimit),
        },
        rpcOptions(req),
      );
      const apiKey = present(r.apiKey, "apiKey");
      res.status(201).location(`/v1/keys/${apiKey.id}`).json(keyWithSecretJson(apiKey, r.key));
    })
    .get(read, async (req, res) => {
      const q = parseQuery(listKeysQuery, req);
      const orgId = await targetOrg(req, deps, q.orgId);
      const r = await deps.auth.listKeys({ orgId, limit: q.limit, cursor: q.cursor ?? "", search: q.search ?? "" }, rpcOptions(req));
      res.json({ data: r.apiKeys.map(keyJson), nextCursor: cursorJson(r.nextCursor) });
    })
    .all(methodNotAllowed(["GET", "POST"]));

  router
    .route("/v1/keys/:id")
    .all(routeName("/v1/keys/:id"))
    .get(read, async (req, res) => {
      const id = keyId(req);
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      res.json(keyJson(await loadKey(req, orgId, id)));
    })
    .patch(write, ...body, async (req, res) => {
      const id = keyId(req);
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const b = parseBody(patchKeyBody, req);
      const p = principalOf(req);
      if (b.scopes) assertCanGrant(p, b.scopes);
      if (!p.root) assertMayModify(p, await loadKey(req, orgId, id), { grantsTargetScopes: false });
      const r = await deps.auth.updateKey(
        {
          orgId,
          id,
          name: b.name,
          scopes: b.scopes ? { values: b.scopes } : undefined,
          metadata: b.metadata,
          expiresAt: b.expiresAt == null ? undefined : timestampFromMs(b.expiresAt),
          clearExpiresAt: b.expiresAt === null,
          rateLimit: b.rateLimit == null ? undefined : rateLimitInit(b.rateLimit),
          clearRateLimit: b.rateLimit === null,
        },
        rpcOptions(req),
      );
      res.json(keyJson(present(r.apiKey, "apiKey")));
    })
    .delete(write, async (req, res) => {
      const id = keyId(req);
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const p = principalOf(req);
      if (!p.root) assertMayModify(p, await loadKey(req, orgId, id), { grantsTargetScopes: false });
      await deps.auth.revokeKey({ orgId, id }, rpcOptions(req));
      res.status(204).end();
    })
    .all(methodNotAllowed(["GET", "PATCH", "DELETE"]));

  router
    .route("/v1/keys/:id/rotate")
    .all(routeName("/v1/keys/:id/rotate"))
    .post(write, ...body, async (req, res) => {
      const id = keyId(req);
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const b = parseBody(rotateBody, req);
      const p = principalOf(req);
      if (!p.root) assertMayModify(p, await loadKey(req, orgId, id), { grantsTargetScopes: true });
      const r = await deps.auth.rotateKey({ orgId, id, gracePeriodSeconds: b.gracePeriodSeconds ?? 0 }, rpcOptions(req));
      const apiKey = present(r.apiKey, "apiKey");
      res.status(201).location(`/v1/keys/${apiKey.id}`).json(keyWithSecretJson(apiKey, r.key));
    })
    .all(methodNotAllowed(["POST"]));

  return router;
}
