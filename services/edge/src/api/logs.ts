/**
 * `/v1/logs`: the caller's org's request logs, newest first, with filters and cursor pagination;
 * `/v1/logs/:requestId`: the newest record with that request id. Scope `logs:read`.
 */
import { Router } from "express";
import { z } from "zod";
import { requireScope, targetOrg } from "./access";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed, notFound, present } from "./errors";
import { routeName, rpcOptions } from "./request-context";
import { cursorJson, logJson } from "./serialize";
import { cursorParam, idParam, limitParam, orgQuery, parseQuery, timeParam } from "./validate";

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
const single = z.string({ error: "must be given once" });

const listQuery = z
  .strictObject({
    keyId: idParam.optional(),
    status: single
      .regex(/^\d{3}$/, { error: "must be an HTTP status code from 100 to 599" })
      .transform(Number)
      .pipe(z.number().min(100, { error: "must be an HTTP status code from 100 to 599" }).max(599, { error: "must be an HTTP status code from 100 to 599" }))
      .optional(),
    method: single
      .regex(/^[A-Za-z]{1,16}$/, { error: "must be an HTTP method, e.g. GET" })
      .transform((m) => m.toUpperCase())
      .optional(),
    path: single
      .startsWith("/", { error: 'must be a path prefix starting with "/"' })
      .max(2048, { error: "must be at most 2048 characters" })
      .optional(),
    from: timeParam.optional(),
    to: timeParam.optional(),
    limit: limitParam(50, 1000),
    cursor: cursorParam,
    orgId: idParam.optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { error: "must be after from", path: ["to"] });

/** Routes of `/v1/logs` and `/v1/logs/:requestId`. */
export function logsRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  const read = requireScope("logs:read");

  router
    .route("/v1/logs")
    .all(routeName("/v1/logs"))
    .get(read, async (req, res) => {
      const q = parseQuery(listQuery, req);
      const orgId = await targetOrg(req, deps, q.orgId);
      const r = await deps.audit.queryLogs(
        {
          orgId,
          keyId: q.keyId ?? "",
          status: q.status ?? 0,
          method: q.method ?? "",
          pathPrefix: q.path ?? "",
          fromMs: BigInt(q.from ?? 0),
          toMs: BigInt(q.to ?? 0),
          limit: q.limit,
          cursor: q.cursor ?? "",
        },
        rpcOptions(req),
      );
      res.json({ data: r.records.map(logJson), nextCursor: cursorJson(r.nextCursor) });
    })
    .all(methodNotAllowed(["GET"]));

  router
    .route("/v1/logs/:requestId")
    .all(routeName("/v1/logs/:requestId"))
    .get(read, async (req, res) => {
      const requestId = req.params.requestId;
      if (typeof requestId !== "string" || !REQUEST_ID_RE.test(requestId)) throw notFound("log record");
      const orgId = await targetOrg(req, deps, parseQuery(orgQuery, req).orgId);
      const { record } = await deps.audit.getLog({ orgId, requestId }, rpcOptions(req));
      res.json(logJson(present(record, "record")));
    })
    .all(methodNotAllowed(["GET"]));

  return router;
}
