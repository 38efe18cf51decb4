/**
 * What `npm run docs:api` generates from docs/api/openapi.yaml is committed (the image ships no
 * docs/, and the reference page must open without a build): the JSON the edge serves at
 * /v1/openapi.json must equal the YAML, and the script's own check must find nothing stale.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { OPENAPI_JSON_URL } from "../src/api/openapi";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const yaml = parse(readFileSync(`${root}docs/api/openapi.yaml`, "utf8"));

test("services/edge/src/api/openapi.json is docs/api/openapi.yaml as JSON (run `npm run docs:api`)", () => {
  expect(JSON.parse(readFileSync(OPENAPI_JSON_URL, "utf8"))).toEqual(yaml);
});

test("docs/api/index.html inlines the same document, and nothing generated is stale", () => {
  const html = readFileSync(`${root}docs/api/index.html`, "utf8");
  const inlined = /<script id="openapi" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!;
  expect(JSON.parse(inlined)).toEqual(yaml);
  expect(html).not.toMatch(/<script[^>]+src="https?:/);
  execFileSync(process.execPath, [`${root}scripts/docs-api.mjs`, "--check"], { stdio: "pipe" });
});
