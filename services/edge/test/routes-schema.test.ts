/**
 * docs/reference/datahub.schema.json is what `npm run generate:schema` makes from the zod schema
 * now, and the shipped datahub.yaml files satisfy it and name it for editors.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { ROUTES_JSON_SCHEMA_PATH, routesJsonSchemaText } from "../src/proxy/routes-json-schema";

const ROOT = new URL("../../..", import.meta.url).pathname;

test("the committed schema equals a fresh generation (run `npm run generate:schema` after changing routes-config.ts)", () => {
  expect(readFileSync(join(ROOT, ROUTES_JSON_SCHEMA_PATH), "utf8")).toBe(routesJsonSchemaText());
});

test.each(["examples/datahub.yaml", "deploy/compose/datahub.yaml"])("%s satisfies the schema and names it on its first line", (file) => {
  const text = readFileSync(join(ROOT, file), "utf8");
  const ref = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text)?.[1];
  expect(ref).toBeDefined();
  expect(resolve(dirname(join(ROOT, file)), ref!)).toBe(join(ROOT, ROUTES_JSON_SCHEMA_PATH));
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(routesJsonSchemaText()));
  expect({ valid: validate(parse(text)), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
});

test("the schema refuses what the edge refuses structurally: unknown fields, wrong types", () => {
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(routesJsonSchemaText()));
  expect(validate(parse("routes:\n  - { name: a, path: /a, upstream: 'http://x', stripPrefix: true }\n"))).toBe(false);
  expect(validate(parse("routes:\n  - { name: a, path: /a, upstream: 'http://x', timeoutMs: soon }\n"))).toBe(false);
});
