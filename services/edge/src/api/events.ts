/**
 * `POST /v1/events`: publishes an event of the caller's org for fan-out to its webhook
 * endpoints subscribed to the type. Scope `events:write`; 202 `{id}` once the webhooks service
 * has made the event durable. Bodies over `DATAHUB_MAX_EVENT_BYTES` (256 KiB) are 413.
 */
import { Router } from "express";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { requireScope, targetOrg } from "./access";
import { jsonBody } from "./body";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed } from "./errors";
import { contextOf, routeName, rpcOptions } from "./request-context";
import { parseBody, parseQuery } from "./validate";
import { publishEventBody } from "./webhooks-schemas";
import { orgQuery } from "./validate";

/**
 * Client idempotency keys live in their own namespace, so a caller cannot pre-empt (and thereby
 * suppress) a system event whose idempotency key it can guess, such as `ratelimit.exceeded:…`.
 */
const USER_IDEMPOTENCY_PREFIX = "user:";

/** Routes of `/v1/events`. */
export function eventsRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  const limit = Math.min(deps.config.limits.maxEventBytes, deps.config.limits.maxBodyBytes);
  router
    .route("/v1/events")
    .all(routeName("/v1/events"))
    .post(requireScope("events:write"), ...jsonBody(limit), async (req, res) => {
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const b = parseBody(publishEventBody, req);
      const r = await deps.webhooks.publish(
        {
          orgId,
          type: b.type,
          data: fromJson(ValueSchema, b.data as JsonValue),
          idempotencyKey: b.idempotencyKey === undefined ? "" : USER_IDEMPOTENCY_PREFIX + b.idempotencyKey,
          traceparent: contextOf(req).traceparent ?? "",
        },
        rpcOptions(req),
      );
      res.status(202).json({ id: r.eventId });
    })
    .all(methodNotAllowed(["POST"]));
  return router;
}
