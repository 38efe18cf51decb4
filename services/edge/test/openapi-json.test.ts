/**
 * The JSON the edge serves at /v1/openapi.json is generated from docs/api/openapi.yaml and
 * committed (the image ships no docs/): it must equal the YAML, or `npm run docs:api` was forgotten.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { OPENAPI_JSON_URL } from "../src/api/openapi";

test("services/edge/src/api/openapi.json is docs/api/openapi.yaml as JSON (run `npm run docs:api`)", () => {
  const yaml = parse(readFileSync(fileURLToPath(new URL("../../../docs/api/openapi.yaml", import.meta.url)), "utf8"));
  expect(JSON.parse(readFileSync(OPENAPI_JSON_URL, "utf8"))).toEqual(yaml);
});
