/**
 * datahub.yaml errors: each names the bad field; a bad file on reload keeps the old table.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_JSON_DEPTH } from "@datahub/runtime";
import { captureLogger } from "@datahub/runtime/testing";
import { loadRoutesConfig, parseRoutesConfig, RoutesConfigError } from "../src/index";
import { RoutesSource } from "../src/proxy/routes-source";

const route = (extra: string) => `routes:\n  - { name: a, path: /a, upstream: 'http://127.0.0.1:1' }\n  - { name: b, path: /b, upstream: 'http://127.0.0.1:1', ${extra} }\n`;

test.each([
  ["routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: b, path: /b, upstream: 'ftp://x' }\n", /^routes\[1\]\.upstream: expected an http\(s\) URL/],
  ["routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: b, path: /b, upstream: 'not a url' }\n", /^routes\[1\]\.upstream: expected an http\(s\) URL/],
  // Credentials never belong in datahub.yaml: neither user:password nor a password alone.
  ["routes:\n  - { name: a, path: /a, upstream: 'http://user:pw@x' }\n", /^routes\[0\]\.upstream: expected an http\(s\) URL without query, fragment or credentials/],
  ["routes:\n  - { name: a, path: /a, upstream: 'http://:pw@x' }\n", /^routes\[0\]\.upstream: expected an http\(s\) URL without query, fragment or credentials/],
  ["routes:\n  - { name: a, path: a, upstream: 'http://x' }\n", /^routes\[0\]\.path: expected an absolute path/],
  ["routes:\n  - { name: a, path: /v1/keys, upstream: 'http://x' }\n", /^routes\[0\]\.path: .*reserved/],
  ["routes:\n  - { name: a, path: /a/../b, upstream: 'http://x' }\n", /^routes\[0\]\.path: must not contain/],
  ["routes:\n  - { path: /a, upstream: 'http://x' }\n", /^routes\[0\]\.name: /],
  ["routes:\n  - { name: 'a b', path: /a, upstream: 'http://x' }\n", /^routes\[0\]\.name: expected 1-64/],
  [route("methods: [FETCH]"), /^routes\[1\]\.methods\[0\]: /],
  [route("timeoutMs: -1"), /^routes\[1\]\.timeoutMs: /],
  [route("rateLimit: { limit: 0, windowSeconds: 60 }"), /^routes\[1\]\.rateLimit\.limit: /],
  [route("rateLimit: { limit: 10, windowSeconds: 60, algorithm: leaky }"), /^routes\[1\]\.rateLimit\.algorithm: /],
  [route("scopes: orders"), /^routes\[1\]\.scopes: /],
  [route("stripPrefix: true"), /^routes\[1\]\.stripPrefix: unknown field/],
  ["routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: a, path: /b, upstream: 'http://x' }\n", /^routes\[1\]\.name: duplicate route name/],
  ["routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: b, path: /a/, upstream: 'http://x' }\n", /^routes\[1\]\.path: duplicate path/],
  ["routes:\n  - { name: a, path: '/a/%2e%2E/b', upstream: 'http://x' }\n", /^routes\[0\]\.path: must not contain `\.` or `\.\.` segments/],
  ["routes:\n  - { name: a, path: '/a/%zz', upstream: 'http://x' }\n", /^routes\[0\]\.path: contains a malformed percent-escape/],
  ["routes:\n  - { name: a, path: '/a/%5Cb', upstream: 'http://x' }\n", /^routes\[0\]\.path: must not contain backslashes/],
  ["routes:\n  - { name: a, path: '/a%2Fb', upstream: 'http://x' }\n", /^routes\[0\]\.path: must not contain an encoded slash/],
  ["routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: b, path: '/%61', upstream: 'http://x' }\n", /^routes\[1\]\.path: duplicate path "\/a"/],
  [route("allowEncodedSlashes: yes"), /^routes\[1\]\.allowEncodedSlashes: /],
  ["defaults:\n  rateLimit: { limit: 10 }\n", /^defaults\.rateLimit\.windowSeconds: /],
  ["routes: {}\n", /^routes: /],
  ["routes: [\n", /^invalid YAML: /],
])("rejects %j naming the field", (yaml, message) => {
  expect(() => parseRoutesConfig(yaml)).toThrow(RoutesConfigError);
  expect(() => parseRoutesConfig(yaml)).toThrow(message);
});

describe("nesting depth (the YAML composer recurses; deep enough, V8 aborts the process instead of throwing)", () => {
  const flowSeqs = (n: number) => `routes: ${"[".repeat(n)}${"]".repeat(n)}\n`;
  const flowMaps = (n: number) => `defaults: ${"{a: ".repeat(n)}1${"}".repeat(n)}\n`;
  const blockMaps = (n: number) => Array.from({ length: n }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " 1\n";
  const blockSeqs = (n: number) => "routes:\n" + Array.from({ length: n }, (_, i) => `${" ".repeat(i + 1)}-`).join("\n") + " x\n";

  // Block nesting grows the text quadratically (indentation), so it stops at 1,500 levels.
  test.each([
    ["flow sequences", flowSeqs, 30_000],
    ["flow mappings", flowMaps, 30_000],
    ["block mappings", blockMaps, 1500],
    ["block sequences", blockSeqs, 1500],
  ])(`%s deeper than ${MAX_JSON_DEPTH} levels: one line, before composing`, (_name, yaml, deepest) => {
    for (const depth of [MAX_JSON_DEPTH + 1, 1500, deepest]) {
      expect(() => parseRoutesConfig(yaml(depth))).toThrow(new RoutesConfigError(`invalid YAML: nested deeper than ${MAX_JSON_DEPTH} levels`));
    }
  });

  test(`${MAX_JSON_DEPTH} levels are composed and judged by the schema`, () => {
    expect(() => parseRoutesConfig(flowSeqs(MAX_JSON_DEPTH - 1))).toThrow(/^routes\[0\]: /);
    expect(() => parseRoutesConfig(blockMaps(MAX_JSON_DEPTH))).toThrow(/^a: unknown field/);
  });
});

test("a missing file is reported with its path", async () => {
  await expect(loadRoutesConfig("/nonexistent/datahub.yaml")).rejects.toThrow("/nonexistent/datahub.yaml: cannot read: ENOENT");
});

test("the file's error message carries the path and the field", async () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-routes-"));
  const path = join(dir, "datahub.yaml");
  writeFileSync(path, "routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: b, path: /b, upstream: 'x' }\n");
  await expect(loadRoutesConfig(path)).rejects.toThrow(`${path}: routes[1].upstream: expected an http(s) URL`);
});

test("a bad file on reload is logged and the previous table stays in service", async () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-routes-"));
  const path = join(dir, "datahub.yaml");
  writeFileSync(path, "routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n");
  const cap = captureLogger("info");
  const source = await RoutesSource.create({ path, logger: cap.logger, debounceMs: 10_000 });
  try {
    writeFileSync(path, "routes:\n  - { name: a, path: /a, upstream: 'gopher://x' }\n");
    expect(await source.reload()).toBe(false);
    expect(source.current.match("/a")?.name).toBe("a");
    expect(cap.text()).toContain("routes[0].upstream: expected an http(s) URL");
  } finally {
    source.close();
  }
});

describe("sliding-log policies above the cap are refused at load (the service would never enforce them)", () => {
  const caps = { maxLogLimit: 10_000, defaultAlgorithm: "sliding-log" };
  const load = (yaml: string, c = caps) => {
    const file = join(mkdtempSync(join(tmpdir(), "datahub-caps-")), "datahub.yaml");
    writeFileSync(file, yaml);
    return loadRoutesConfig(file, c);
  };

  test.each([
    [route("rateLimit: { limit: 10001, windowSeconds: 60, algorithm: sliding-log }"), /routes\[1\]\.rateLimit\.limit: must be at most 10000 for sliding-log .* got 10001$/],
    [route("rateLimit: { limit: 20000, windowSeconds: 60 }"), /routes\[1\]\.rateLimit\.limit: must be at most 10000/], // the default algorithm is the sliding log
    ["defaults:\n  rateLimit: { limit: 50000, windowSeconds: 60 }\n", /defaults\.rateLimit\.limit: must be at most 10000/],
    ["defaults:\n  anonymousRateLimit: { limit: 50000, windowSeconds: 60 }\n", /defaults\.anonymousRateLimit\.limit: must be at most 10000/],
  ])("%j", async (yaml, message) => {
    await expect(load(yaml)).rejects.toThrow(message);
  });

  test("the O(1) algorithms, a raised cap, or another default algorithm take any limit", async () => {
    expect((await load(route("rateLimit: { limit: 1000000, windowSeconds: 60, algorithm: gcra }"))).routes[1]!.rateLimit!.limit).toBe(1_000_000);
    expect((await load(route("rateLimit: { limit: 50000, windowSeconds: 60 }"), { maxLogLimit: 100_000, defaultAlgorithm: "sliding-log" })).routes).toHaveLength(2);
    expect((await load(route("rateLimit: { limit: 50000, windowSeconds: 60 }"), { maxLogLimit: 10_000, defaultAlgorithm: "gcra" })).routes).toHaveLength(2);
  });

  test("a reload that breaks the cap keeps the previous table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "datahub-caps-"));
    const file = join(dir, "datahub.yaml");
    writeFileSync(file, route("rateLimit: { limit: 100, windowSeconds: 60 }"));
    const { logger, lines } = captureLogger("info");
    const source = await RoutesSource.create({ path: file, logger, rateLimitCaps: caps, debounceMs: 10_000 });
    try {
      writeFileSync(file, route("rateLimit: { limit: 99999, windowSeconds: 60 }"));
      expect(await source.reload()).toBe(false);
      expect(source.current.routes.find((r) => r.name === "b")!.rateLimit!.limit).toBe(100);
      expect(JSON.stringify(lines)).toContain("must be at most 10000 for sliding-log");
    } finally {
      source.close();
    }
  });
});

describe("routes below the admin console's path are refused (the console would answer them all)", () => {
  const file = (yaml: string) => {
    const path = join(mkdtempSync(join(tmpdir(), "datahub-console-routes-")), "datahub.yaml");
    writeFileSync(path, yaml);
    return path;
  };

  test("at load, naming the field and how to fix it; a path that only starts with the same letters is fine", async () => {
    const path = file("routes:\n  - { name: a, path: /consoles, upstream: 'http://x' }\n  - { name: b, path: /console/x, upstream: 'http://x' }\n");
    await expect(loadRoutesConfig(path, undefined, "/console")).rejects.toThrow(
      `${path}: routes[1].path: /console/x is answered by the admin console (DATAHUB_CONSOLE_PATH=/console); move the route, or the console`,
    );
    expect((await loadRoutesConfig(path, undefined, "/ops")).routes).toHaveLength(2);
    expect((await loadRoutesConfig(path)).routes).toHaveLength(2);
  });

  test("on reload, keeping the previous table", async () => {
    const path = file("routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n");
    const { logger, lines } = captureLogger("info");
    const source = await RoutesSource.create({ path, logger, consolePath: "/console", debounceMs: 10_000 });
    try {
      writeFileSync(path, "routes:\n  - { name: a, path: /console, upstream: 'http://x' }\n");
      expect(await source.reload()).toBe(false);
      expect(source.current.match("/a")?.name).toBe("a");
      expect(JSON.stringify(lines)).toContain("is answered by the admin console");
    } finally {
      source.close();
    }
  });
});
