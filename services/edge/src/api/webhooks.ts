/**
 * `/v1/webhooks`: create, list, read, update and delete the caller's org's webhook endpoints,
 * and rotate an endpoint's signing secret (a root key may act on any org with `?orgId=`).
 * Scopes `webhooks:read` / `webhooks:write`. The secret appears only in the create and
 * rotate-secret responses; nothing here logs a body.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Router } from "express";
import { webhooks } from "@datahub/proto";
import { requireScope, targetOrg } from "./access";
import { jsonBody } from "./body";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed, present } from "./errors";
import { routeName, rpcOptions } from "./request-context";
import { isoOrNull, cursorJson } from "./serialize";
import { parseBody, parseQuery } from "./validate";
import { createEndpointBody, noBody, patchEndpointBody } from "./webhooks-schemas";
import { orgQuery, pageQuery, uuidParam } from "./validate";
import { endpointJson, endpointWithSecretJson } from "./webhooks-serialize";

const STATUS = { enabled: webhooks.EndpointStatus.ENABLED, disabled: webhooks.EndpointStatus.DISABLED } as const;

/** Routes of `/v1/webhooks`, `/v1/webhooks/:id`, `/v1/webhooks/:id/rotate-secret` and `/v1/webhooks/:id/test`. */
export function webhooksRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  const body = jsonBody(deps.config.limits.maxBodyBytes);
  const read = requireScope("webhooks:read");
  const write = requireScope("webhooks:write");

  router
    .route("/v1/webhooks")
    .all(routeName("/v1/webhooks"))
    .post(write, ...body, async (req, res) => {
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const b = parseBody(createEndpointBody, req);
      const r = await deps.webhooks.createEndpoint(
        { orgId, url: b.url, events: b.events, description: b.description ?? "", rateLimitPerSecond: b.rateLimitPerSecond ?? 0 },
        rpcOptions(req),
      );
      const endpoint = present(r.endpoint, "endpoint");
      res.status(201).location(`/v1/webhooks/${endpoint.id}`).json(endpointWithSecretJson(endpoint, r.secret));
    })
    .get(read, async (req, res) => {
      const q = parseQuery(pageQuery, req);
      const orgId = await targetOrg(req, deps, q.orgId);
      const r = await deps.webhooks.listEndpoints({ orgId, limit: q.limit, cursor: q.cursor ?? "" }, rpcOptions(req));
      res.json({ data: r.endpoints.map(endpointJson), nextCursor: cursorJson(r.nextCursor) });
    })
    .all(methodNotAllowed(["GET", "POST"]));

  router
    .route("/v1/webhooks/:id")
    .all(routeName("/v1/webhooks/:id"))
    .get(read, async (req, res) => {
      const id = uuidParam(req, "id", "webhook endpoint");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const r = await deps.webhooks.getEndpoint({ orgId, id }, rpcOptions(req));
      res.json(endpointJson(present(r.endpoint, "endpoint")));
    })
    .patch(write, ...body, async (req, res) => {
      const id = uuidParam(req, "id", "webhook endpoint");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const b = parseBody(patchEndpointBody, req);
      const r = await deps.webhooks.updateEndpoint(
        {
          orgId,
          id,
          url: b.url,
          events: b.events ?? [],
          setEvents: b.events !== undefined,
          // null clears: the service reads "" and 0 as "none" / "the default".
          description: b.description === null ? "" : b.description,
          rateLimitPerSecond: b.rateLimitPerSecond === null ? 0 : b.rateLimitPerSecond,
          status: b.status ? STATUS[b.status] : webhooks.EndpointStatus.UNSPECIFIED,
        },
        rpcOptions(req),
      );
      res.json(endpointJson(present(r.endpoint, "endpoint")));
    })
    .delete(write, async (req, res) => {
      const id = uuidParam(req, "id", "webhook endpoint");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      await deps.webhooks.deleteEndpoint({ orgId, id }, rpcOptions(req));
      res.status(204).end();
    })
    .all(methodNotAllowed(["GET", "PATCH", "DELETE"]));

  router
    .route("/v1/webhooks/:id/rotate-secret")
    .all(routeName("/v1/webhooks/:id/rotate-secret"))
    .post(write, ...body, async (req, res) => {
      const id = uuidParam(req, "id", "webhook endpoint");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      parseBody(noBody, req);
      const r = await deps.webhooks.rotateSecret({ orgId, id }, rpcOptions(req));
      // previousSecretExpiresAt: when the old secret stops signing, i.e. how long receivers must still accept it (docs/reference/http-api.md, "Endpoints").
      res.json({ secret: r.secret, previousSecretExpiresAt: isoOrNull(r.previousSecretExpiresAt) });
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/v1/webhooks/:id/test")
    .all(routeName("/v1/webhooks/:id/test"))
    .post(write, ...body, async (req, res) => {
      const id = uuidParam(req, "id", "webhook endpoint");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      parseBody(noBody, req);
      const data = { message: "Test event sent from DataHub", endpointId: id };
      const r = await deps.webhooks.publish({ orgId, type: "webhook.test", data: fromJson(ValueSchema, data), endpointId: id }, rpcOptions(req));
      res.status(202).json({ eventId: r.eventId, deliveryId: present(r.deliveryIds[0], "deliveryIds[0]") });
    })
    .all(methodNotAllowed(["POST"]));

  return router;
}
