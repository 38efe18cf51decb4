/**
 * datahub.yaml errors: each names the bad field; a bad file on reload keeps the old table.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureLogger } from "@datahub/runtime/testing";
import { loadRoutesConfig, parseRoutesConfig, RoutesConfigError } from "../src/index";
import { RoutesSource } from "../src/proxy/routes-source";

const route = (extra: string) => `routes:\n  - { name: a, path: /a, upstream: 'http://127.0.0.1:1' }\n  - { name: b, path: /b, upstream: 'http://127.0.0.1:1', ${extra} }\n`;

test.each([
  ["routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: b, path: /b, upstream: 'ftp://x' }\n", /^routes\[1\]\.upstream: expected an http\(s\) URL/],
  ["routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n  - { name: b, path: /b, upstream: 'not a url' }\n", /^routes\[1\]\.upstream: expected an http\(s\) URL/],
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
  ["defaults:\n  rateLimit: { limit: 10 }\n", /^defaults\.rateLimit\.windowSeconds: /],
  ["routes: {}\n", /^routes: /],
  ["routes: [\n", /^invalid YAML: /],
])("rejects %j naming the field", (yaml, message) => {
  expect(() => parseRoutesConfig(yaml)).toThrow(RoutesConfigError);
  expect(() => parseRoutesConfig(yaml)).toThrow(message);
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
