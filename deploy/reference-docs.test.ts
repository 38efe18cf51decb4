/**
 * docs/reference/ stays true to the code: configuration.md documents exactly the variables the
 * config schema reads (plus a few read elsewhere), and metrics.md every metric the code registers.
 * Without this, a new variable or metric ships undocumented, and a removed one stays documented.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { parse } from "yaml";
import { configEnvNames, isForeignEnvName } from "./support/config-env";

const ROOT = new URL("..", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/**
 * Variables read outside the schema, with the file that reads each: documenting one is only
 * allowed while that file still reads it.
 */
const READ_ELSEWHERE: Record<string, string> = {
  DATAHUB_ENV_FILE: "packages/runtime/src/env-file.ts",
  DATAHUB_URL: "packages/cli/src/api.ts",
  DATAHUB_API_KEY: "packages/cli/src/api.ts",
  TEST_PG_URL: "packages/runtime/src/testing/index.ts",
  TEST_REDIS_URL: "packages/runtime/src/testing/index.ts",
  TEST_LOG_LEVEL: "packages/runtime/src/testing/index.ts",
};

/** Names in the first cell of the page's table rows: the variables the page documents. */
function documentedNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split("\n")) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1];
    if (first === undefined) continue;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

describe("docs/reference/configuration.md", () => {
  const documented = documentedNames(read("docs/reference/configuration.md"));
  const schema = configEnvNames();

  it("documents every variable of the config schema", () => {
    expect(schema.size).toBeGreaterThan(50);
    expect([...schema].filter((n) => !documented.has(n))).toEqual([]);
  });

  it("documents no variable the code does not read", () => {
    const unknown = [...documented].filter((n) => !schema.has(n) && !isForeignEnvName(n) && !(n in READ_ELSEWHERE));
    expect(unknown).toEqual([]);
    const stale = Object.entries(READ_ELSEWHERE).filter(([name, file]) => documented.has(name) && !read(file).includes(name));
    expect(stale).toEqual([]);
  });
});

describe("docs/reference/metrics.md", () => {
  it("describes every metric the code registers", () => {
    const catalog = parse(read("deploy/metrics-catalog.yaml")) as { emitted: string[] };
    const doc = read("docs/reference/metrics.md");
    expect(catalog.emitted.length).toBeGreaterThan(20);
    expect(catalog.emitted.filter((name) => !doc.includes("`" + name))).toEqual([]);
  });
});
