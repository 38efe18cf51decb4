/**
 * `GET /v1/routes`: the proxy routes loaded from datahub.yaml right now (after any reload), for
 * operators and the console. Root key, or scope `routes:read`. Upstreams are shown as origin and
 * base path (datahub.yaml refuses credentials, queries and fragments in upstream URLs).
 */
import { Router } from "express";
import { z } from "zod";
import type { Route } from "../proxy/route-table";
import { requireScope } from "./access";
import type { ManagementApiDeps } from "./deps";
import { methodNotAllowed } from "./errors";
import { routeName } from "./request-context";
import { parseQuery } from "./validate";

const noQuery = z.strictObject({});

/** A route as the API shows it. */
function routeJson(r: Route) {
  return {
    name: r.name,
    path: r.prefix,
    methods: r.methods ? [...r.methods] : null,
    public: r.public,
    scopes: [...r.scopes],
    upstream: r.origin + r.basePath,
    stripPath: r.stripPath,
    timeoutMs: r.timeoutMs,
    maxBodyBytes: r.maxBodyBytes ?? null,
    rateLimit: r.rateLimit
      ? { limit: r.rateLimit.limit, windowSeconds: r.rateLimit.windowSeconds, algorithm: r.rateLimit.algorithm || null, failureMode: r.rateLimit.failureMode ?? null }
      : null,
  };
}

/** Routes of `/v1/routes`. */
export function routesRouter(deps: ManagementApiDeps): Router {
  const router = Router();
  router
    .route("/v1/routes")
    .all(routeName("/v1/routes"))
    .get(requireScope("routes:read"), (req, res) => {
      parseQuery(noQuery, req);
      res.json({ data: deps.routes.current.routes.map(routeJson), source: deps.config.configPath ?? null });
    })
    .all(methodNotAllowed(["GET"]));
  return router;
}
