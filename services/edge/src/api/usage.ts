/**
 * `/v1/usage`: request counts, errors, 429s and latency percentiles of the caller's org per
 * minute, hour or day (optionally of one key). Scope `logs:read`. Defaults (last 24 hours,
 * hourly) and the 10,000-bucket cap are the audit service's.
 */
import { Router } from "express";
import { z } from "zod";
import { audit } from "@datahub/proto";
import { requireScope, targetOrg } from "./access";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed } from "./errors";
import { routeName, rpcOptions } from "./request-context";
import { usageJson } from "./serialize";
import { idParam, parseQuery, timeParam } from "./validate";

const GRANULARITY = {
  minute: audit.Granularity.MINUTE,
  hour: audit.Granularity.HOUR,
  day: audit.Granularity.DAY,
} as const;

const usageQuery = z
  .strictObject({
    from: timeParam.optional(),
    to: timeParam.optional(),
    granularity: z.enum(["minute", "hour", "day"], { error: "must be one of minute, hour, day" }).default("hour"),
    keyId: idParam.optional(),
    orgId: idParam.optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { error: "must be after from", path: ["to"] });

/** Routes of `/v1/usage`. */
export function usageRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  router
    .route("/v1/usage")
    .all(routeName("/v1/usage"))
    .get(requireScope("logs:read"), async (req, res) => {
      const q = parseQuery(usageQuery, req);
      const orgId = await targetOrg(req, deps, q.orgId);
      const r = await deps.audit.getUsage(
        {
          orgId,
          keyId: q.keyId ?? "",
          fromMs: BigInt(q.from ?? 0),
          toMs: BigInt(q.to ?? 0),
          granularity: GRANULARITY[q.granularity],
        },
        rpcOptions(req),
      );
      res.json({ data: r.buckets.map(usageJson) });
    })
    .all(methodNotAllowed(["GET"]));
  return router;
}
