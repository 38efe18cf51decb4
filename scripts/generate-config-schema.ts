// Writes docs/reference/datahub.schema.json from the edge's zod schema of datahub.yaml
// (`npm run generate:schema`); services/edge/test/routes-schema.test.ts fails while it is stale.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROUTES_JSON_SCHEMA_PATH, routesJsonSchemaText } from "../services/edge/src/proxy/routes-json-schema";

const root = new URL("..", import.meta.url).pathname;
writeFileSync(join(root, ROUTES_JSON_SCHEMA_PATH), routesJsonSchemaText());
console.log(`wrote ${ROUTES_JSON_SCHEMA_PATH}`);
