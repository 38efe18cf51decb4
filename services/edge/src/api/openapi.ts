/**
 * `GET /v1/openapi.json`: the API's own OpenAPI document, public (a client needs it before it has
 * a key). The JSON is generated from docs/api/openapi.yaml by `npm run docs:api` and committed
 * next to this file, because docs/ is not shipped in the image; a test fails when it is stale.
 */
import { readFileSync } from "node:fs";
import { Router } from "express";
import { methodNotAllowed } from "./errors";
import { routeName } from "./request-context";

/** The path the document is served at; the pipeline lets it through without a key. */
export const OPENAPI_PATH = "/v1/openapi.json";

/** Where the generated JSON lives (read once, at start-up). */
export const OPENAPI_JSON_URL = new URL("./openapi.json", import.meta.url);

/** Routes of `/v1/openapi.json`; the document is read and re-serialised once, not per request. */
export function openapiRouter(): Router {
  const body = JSON.stringify(JSON.parse(readFileSync(OPENAPI_JSON_URL, "utf8")));
  const router = Router();
  router
    .route(OPENAPI_PATH)
    .all(routeName(OPENAPI_PATH))
    .get((_req, res) => {
      // The document changes only with a release: caching it is safe, unlike the rest of /v1.
      res.setHeader("cache-control", "public, max-age=300");
      res.type("application/json").send(body);
    })
    .all(methodNotAllowed(["GET"]));
  return router;
}
