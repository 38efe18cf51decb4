/**
 * datahub.yaml parsing and routing: defaults, normalisation, segment-aware longest-prefix match,
 * and reloads that swap the table.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@datahub/runtime";
import { eventually } from "@datahub/runtime/testing";
import { loadRoutesConfig, parseRoutesConfig } from "../src/index";
import { RouteTable } from "../src/proxy/route-table";
import { RoutesSource } from "../src/proxy/routes-source";

const silent = createLogger({ level: "silent" });

const YAML = `
routes:
  - name: orders
    path: /api/orders/
    upstream: http://127.0.0.1:3000
    methods: [get, POST]
    scopes: [orders:read]
    rateLimit: { limit: 100, windowSeconds: 60, algorithm: sliding-log }
  - name: api
    path: /api
    upstream: https://api.internal:8443/base/
    stripPath: true
    timeoutMs: 500
    maxBodyBytes: 10
  - name: root
    path: /
    upstream: http://127.0.0.1:3001
    public: true
`;

test("a file with routes parses with defaults filled in and prefixes normalised", () => {
  const c = parseRoutesConfig(YAML);
  expect(c.defaults).toEqual({ rateLimit: { limit: 1000, windowSeconds: 60 }, anonymousRateLimit: { limit: 60, windowSeconds: 60 } });
  expect(c.routes[0]).toMatchObject({ name: "orders", path: "/api/orders", methods: ["GET", "POST"], scopes: ["orders:read"], public: false, stripPath: false, timeoutMs: 30000 });
  expect(c.routes[1]).toMatchObject({ name: "api", path: "/api", stripPath: true, timeoutMs: 500, maxBodyBytes: 10, scopes: [] });
});

test("an empty file means no routes and the built-in defaults", () => {
  expect(parseRoutesConfig("")).toEqual({ routes: [], defaults: { rateLimit: { limit: 1000, windowSeconds: 60 }, anonymousRateLimit: { limit: 60, windowSeconds: 60 } } });
  expect(parseRoutesConfig("defaults:\n  anonymousRateLimit: { limit: 5, windowSeconds: 1 }\n").defaults).toEqual({
    rateLimit: { limit: 1000, windowSeconds: 60 },
    anonymousRateLimit: { limit: 5, windowSeconds: 1 },
  });
});

test("the longest segment-aligned prefix wins", () => {
  const t = new RouteTable(parseRoutesConfig(YAML));
  expect(t.match("/api/orders")?.name).toBe("orders");
  expect(t.match("/api/orders/")?.name).toBe("orders");
  expect(t.match("/api/orders/1/items")?.name).toBe("orders");
  expect(t.match("/api/ordersx")?.name).toBe("api");
  expect(t.match("/api/other")?.name).toBe("api");
  expect(t.match("/apix")?.name).toBe("root");
  expect(t.match("/")?.name).toBe("root");
});

test("without a catch-all route, unmatched paths match nothing", () => {
  const t = new RouteTable(parseRoutesConfig("routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n"));
  expect(t.match("/a/b")?.name).toBe("a");
  expect(t.match("/b")).toBeUndefined();
  expect(t.match("/")).toBeUndefined();
});

test("prefixes are stored in the canonical form requests are matched in; allowEncodedSlashes defaults to false", () => {
  const c = parseRoutesConfig(
    "routes:\n  - { name: a, path: '/api//%7euser/%c3%a9/', upstream: 'http://x' }\n  - { name: f, path: '/files/a%2fb', upstream: 'http://x', allowEncodedSlashes: true }\n",
  );
  expect(c.routes.map((r) => [r.path, r.allowEncodedSlashes])).toEqual([
    ["/api/~user/%C3%A9", false],
    ["/files/a%2Fb", true],
  ]);
  const t = new RouteTable(c);
  expect(t.match("/api/~user/%C3%A9/x")?.name).toBe("a");
  expect(t.match("/files/a%2Fb/c")?.allowEncodedSlashes).toBe(true);
  expect(t.match("/files/a/b")).toBeUndefined();
});

test("a route is compiled with its upstream origin, base path and Allow list", () => {
  const t = new RouteTable(parseRoutesConfig(YAML));
  const api = t.match("/api/x")!;
  expect(api.origin).toBe("https://api.internal:8443");
  expect(api.basePath).toBe("/base");
  expect(t.match("/api/orders")!.allow).toBe("GET, POST");
  expect(t.origins()).toEqual(new Set(["http://127.0.0.1:3000", "https://api.internal:8443", "http://127.0.0.1:3001"]));
});

test("loadRoutesConfig reads a file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-routes-"));
  writeFileSync(join(dir, "datahub.yaml"), YAML);
  expect((await loadRoutesConfig(join(dir, "datahub.yaml"))).routes.map((r) => r.name)).toEqual(["orders", "api", "root"]);
});

test("RoutesSource swaps the table on reload() and when the file changes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-routes-"));
  const path = join(dir, "datahub.yaml");
  writeFileSync(path, "routes:\n  - { name: a, path: /a, upstream: 'http://x' }\n");
  const changes: string[][] = [];
  const source = await RoutesSource.create({ path, logger: silent, debounceMs: 20, onChange: (t) => changes.push(t.routes.map((r) => r.name)) });
  try {
    const before = source.current;
    writeFileSync(path, "routes:\n  - { name: b, path: /b, upstream: 'http://x' }\n");
    expect(await source.reload()).toBe(true);
    expect(source.current.match("/b")?.name).toBe("b");
    expect(before.match("/a")?.name).toBe("a"); // the old table is untouched (in-flight requests)
    writeFileSync(path, "routes:\n  - { name: c, path: /c, upstream: 'http://x' }\n");
    await eventually(() => source.current.match("/c")?.name === "c", 3000);
    expect(changes.at(-1)).toEqual(["c"]);
  } finally {
    source.close();
  }
});
