#!/usr/bin/env node
// Converts docs/api/openapi.yaml (the source of truth, edited by hand) into the JSON the edge
// serves at GET /v1/openapi.json. The JSON is committed because the image ships no docs/ and
// DataHub has no build step; services/edge/test/openapi-json.test.ts fails when it is stale.
// `--check` only reports whether the committed JSON matches.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const source = fileURLToPath(new URL("../docs/api/openapi.yaml", import.meta.url));
const target = fileURLToPath(new URL("../services/edge/src/api/openapi.json", import.meta.url));
const json = JSON.stringify(parse(readFileSync(source, "utf8")), null, 2) + "\n";

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== json) {
    console.error("services/edge/src/api/openapi.json is stale: run `npm run docs:api`");
    process.exit(1);
  }
} else {
  writeFileSync(target, json);
  console.log(`wrote ${target}`);
}
