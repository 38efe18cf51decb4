/**
 * `/v1/orgs`: create and list organisations. Root key only (403 for any other key).
 */
import { Router } from "express";
import { z } from "zod";
import { requireRoot } from "./access";
import { jsonBody } from "./body";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed, present } from "./errors";
import { routeName, rpcOptions } from "./request-context";
import { orgJson } from "./serialize";
import { nameSchema, parseBody, parseQuery } from "./validate";

const createOrgBody = z.strictObject({ name: nameSchema }, { error: "must be a JSON object" });
const noQuery = z.strictObject({});

/** Routes of `/v1/orgs`. */
export function orgsRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  router
    .route("/v1/orgs")
    .all(routeName("/v1/orgs"))
    .post(requireRoot, ...jsonBody(deps.config.limits.maxBodyBytes), async (req, res) => {
      const body = parseBody(createOrgBody, req);
      const { org } = await deps.auth.createOrg({ name: body.name }, rpcOptions(req));
      res.status(201).json(orgJson(present(org, "org")));
    })
    .get(requireRoot, async (req, res) => {
      parseQuery(noQuery, req);
      const { orgs } = await deps.auth.listOrgs({}, rpcOptions(req));
      res.json({ data: orgs.map(orgJson) });
    })
    .all(methodNotAllowed(["GET", "POST"]));
  return router;
}
