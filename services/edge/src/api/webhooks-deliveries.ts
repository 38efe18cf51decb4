/**
 * `/v1/webhooks/:id/deliveries`: the deliveries of one endpoint (filter by status, cursor
 * pagination), their attempt log (docs/api/openapi.yaml) and manual retry (202).
 */
import { Router } from "express";
import { webhooks } from "@datahub/proto";
import { requireScope, targetOrg } from "./access";
import { jsonBody } from "./body";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed } from "./errors";
import { routeName, rpcOptions } from "./request-context";
import { cursorJson } from "./serialize";
import { parseBody, parseQuery } from "./validate";
import { listDeliveriesQuery, noBody } from "./webhooks-schemas";
import { orgQuery, uuidParam } from "./validate";
import { attemptJson, DELIVERY_STATUS_FILTER, deliveryJson } from "./webhooks-serialize";

/** Routes under `/v1/webhooks/:id/deliveries`. */
export function deliveriesRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  const read = requireScope("webhooks:read");
  const write = requireScope("webhooks:write");

  router
    .route("/v1/webhooks/:id/deliveries")
    .all(routeName("/v1/webhooks/:id/deliveries"))
    .get(read, async (req, res) => {
      const endpointId = uuidParam(req, "id", "webhook endpoint");
      const q = parseQuery(listDeliveriesQuery, req);
      const orgId = await targetOrg(req, deps, q.orgId);
      const r = await deps.webhooks.listDeliveries(
        {
          orgId,
          endpointId,
          status: q.status ? DELIVERY_STATUS_FILTER[q.status] : webhooks.DeliveryStatus.UNSPECIFIED,
          limit: q.limit,
          cursor: q.cursor ?? "",
        },
        rpcOptions(req),
      );
      res.json({ data: r.deliveries.map(deliveryJson), nextCursor: cursorJson(r.nextCursor) });
    })
    .all(methodNotAllowed(["GET"]));

  router
    .route("/v1/webhooks/:id/deliveries/:deliveryId/attempts")
    .all(routeName("/v1/webhooks/:id/deliveries/:deliveryId/attempts"))
    .get(read, async (req, res) => {
      const endpointId = uuidParam(req, "id", "webhook endpoint");
      const deliveryId = uuidParam(req, "deliveryId", "delivery");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const r = await deps.webhooks.listAttempts({ orgId, endpointId, deliveryId }, rpcOptions(req));
      res.json({ data: r.attempts.map(attemptJson) });
    })
    .all(methodNotAllowed(["GET"]));

  router
    .route("/v1/webhooks/:id/deliveries/:deliveryId/retry")
    .all(routeName("/v1/webhooks/:id/deliveries/:deliveryId/retry"))
    .post(write, ...jsonBody(deps.config.limits.maxBodyBytes), async (req, res) => {
      const endpointId = uuidParam(req, "id", "webhook endpoint");
      const deliveryId = uuidParam(req, "deliveryId", "delivery");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      parseBody(noBody, req);
      await deps.webhooks.retryDelivery({ orgId, endpointId, deliveryId }, rpcOptions(req));
      res.status(202).end();
    })
    .all(methodNotAllowed(["POST"]));

  return router;
}
