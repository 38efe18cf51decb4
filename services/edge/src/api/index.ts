/**
 * The `/v1` management API (docs/reference/http-api.md): orgs, keys, request logs, usage, webhook endpoints
 * and their deliveries, events, and the routes in force.
 *
 * The edge pipeline owns the request id, authentication, rate limiting and the request log; it
 * calls the function returned here with an authenticated RequestContext. This module is the one
 * place the edge uses express: management calls are rare, and express's routing, body parsing
 * and error middleware pay for themselves here, while the proxied data plane stays on node:http.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import helmet from "helmet";
import type { RequestContext } from "../context";
import type { ManagementApiDeps } from "./deps";
import { errorHandler, unknownPath } from "./errors";
import { eventsRouter } from "./events";
import { keysRouter } from "./keys";
import { logsRouter } from "./logs";
import { openapiRouter } from "./openapi";
import { orgsRouter } from "./orgs";
import { routesRouter } from "./routes";
import { attachContext } from "./request-context";
import { usageRouter } from "./usage";
import { deliveriesRouter } from "./webhooks-deliveries";
import { webhooksRouter } from "./webhooks";

export type { AuthMethods, AuditMethods, ManagementApiDeps, WebhookMethods } from "./deps";

/**
 * Builds the management API once and returns the handler the pipeline calls for every `/v1`
 * request. `ctx.principal` must be set; the handler sets `ctx.route` (the route template) and,
 * when it answers with an error, `ctx.error` (a short code such as `not_found`).
 */
export function createManagementApi(deps: ManagementApiDeps): (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void {
  const logger = deps.logger.child({ component: "management-api" });
  const app = express();
  app.disable("x-powered-by");
  // Management responses are small and mostly carry fresh state; conditional GETs buy nothing.
  app.set("etag", false);
  app.set("query parser", "simple");

  // An API never serves active content: the tightest CSP; the other helmet defaults as they are.
  app.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
  // Nothing under /v1 may be cached: some bodies carry a key, the rest is live state.
  app.use((_req, res, next) => {
    res.setHeader("cache-control", "no-store");
    next();
  });

  app.use(openapiRouter());
  app.use(orgsRouter(deps));
  app.use(keysRouter(deps));
  app.use(logsRouter(deps));
  app.use(usageRouter(deps));
  app.use(webhooksRouter(deps));
  app.use(deliveriesRouter(deps));
  app.use(eventsRouter(deps));
  app.use(routesRouter(deps));
  app.use(unknownPath);
  app.use(errorHandler(logger));

  return (req, res, ctx) => {
    attachContext(req, ctx);
    app(req, res);
  };
}
