/**
 * docs/api/openapi.yaml stays true to the code: every `$ref` resolves, each documented path
 * serves exactly the documented methods (checked through the 405 `Allow` header the code sends),
 * and the documented object schemas list exactly the fields the API returns.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { startApi, type ApiHarness } from "./support/api-harness";

type Json = Record<string, any>;
const doc: Json = parse(readFileSync(fileURLToPath(new URL("../../../docs/api/openapi.yaml", import.meta.url)), "utf8"));
const METHODS = ["get", "post", "patch", "delete", "put"];

function resolve(ref: string): unknown {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(async () => {
  await h.close();
});

test("the document is OpenAPI 3.1 and every $ref resolves", () => {
  expect(doc.openapi).toBe("3.1.0");
  const refs = collectRefs(doc);
  expect(refs.length).toBeGreaterThan(20);
  for (const ref of refs) expect([ref, resolve(ref) !== undefined]).toEqual([ref, true]);
});

test("each documented /v1 path serves exactly the documented methods", async () => {
  // The health probes are answered before routing, whatever the method: only /v1 has 405s.
  const paths = Object.keys(doc.paths).filter((p) => p.startsWith("/v1/"));
  expect(paths.sort()).toEqual(
    [
      "/v1/events",
      "/v1/keys",
      "/v1/keys/{id}",
      "/v1/keys/{id}/rotate",
      "/v1/logs",
      "/v1/logs/{requestId}",
      "/v1/openapi.json",
      "/v1/orgs",
      "/v1/routes",
      "/v1/usage",
      "/v1/webhooks",
      "/v1/webhooks/{id}",
      "/v1/webhooks/{id}/deliveries",
      "/v1/webhooks/{id}/deliveries/{deliveryId}/attempts",
      "/v1/webhooks/{id}/deliveries/{deliveryId}/retry",
      "/v1/webhooks/{id}/rotate-secret",
      "/v1/webhooks/{id}/test",
    ].sort(),
  );
  for (const p of paths) {
    const documented = METHODS.filter((m) => doc.paths[p][m]).map((m) => m.toUpperCase());
    const concrete = p.replace("{id}", "0190f3a0-0000-7000-8000-000000000000").replace("{deliveryId}", "0190f3a0-0000-7000-8000-000000000001").replace("{requestId}", "r1");
    const r = await h.call("PUT", concrete);
    expect([p, r.status]).toEqual([p, 405]);
    expect([p, r.headers.get("allow")!.split(", ").sort()]).toEqual([p, documented.sort()]);
  }
});

test("documented object schemas list exactly the fields the API returns", async () => {
  const fields = (name: string) => Object.keys(doc.components.schemas[name].properties).sort();
  const org = await h.call("POST", "/v1/orgs", { json: { name: "acme" } });
  expect(Object.keys(org.body).sort()).toEqual(fields("Org"));
  const key = await h.call("POST", "/v1/keys", { json: { name: "k", scopes: [] } });
  const got = await h.call("GET", `/v1/keys/${key.body.id}`);
  expect(Object.keys(got.body).sort()).toEqual(fields("Key"));
  expect(doc.components.schemas.Key.required.slice().sort()).toEqual(fields("Key"));
  h.audit.seed({ requestId: "r1", orgId: h.rootOrgId, timestampMs: Date.now() });
  const log = await h.call("GET", "/v1/logs/r1");
  expect(Object.keys(log.body).sort()).toEqual(fields("LogRecord"));
  const usage = await h.call("GET", "/v1/usage");
  expect(Object.keys(usage.body.data[0]).sort()).toEqual(fields("UsageBucket"));
  const endpoint = await h.call("POST", "/v1/webhooks", { json: { url: "https://a.example/x", events: ["*"] } });
  expect(Object.keys(endpoint.body).sort()).toEqual([...fields("WebhookEndpoint"), "secret"].sort());
  const gotEndpoint = await h.call("GET", `/v1/webhooks/${endpoint.body.id}`);
  expect(Object.keys(gotEndpoint.body).sort()).toEqual(fields("WebhookEndpoint"));
  expect(doc.components.schemas.WebhookEndpoint.required.slice().sort()).toEqual(fields("WebhookEndpoint"));
  const delivery = h.webhooks.seedDelivery(endpoint.body.id, {}, [{ statusCode: 500 }]);
  const deliveries = await h.call("GET", `/v1/webhooks/${endpoint.body.id}/deliveries`);
  expect(Object.keys(deliveries.body.data[0]).sort()).toEqual(fields("WebhookDelivery"));
  expect(doc.components.schemas.WebhookDelivery.required.slice().sort()).toEqual(fields("WebhookDelivery"));
  const attempts = await h.call("GET", `/v1/webhooks/${endpoint.body.id}/deliveries/${delivery.id}/attempts`);
  expect(Object.keys(attempts.body.data[0]).sort()).toEqual(fields("WebhookAttempt"));
  const rotated = await h.call("POST", `/v1/webhooks/${endpoint.body.id}/rotate-secret`);
  expect(Object.keys(rotated.body).sort()).toEqual(
    Object.keys(doc.paths["/v1/webhooks/{id}/rotate-secret"].post.responses["200"].content["application/json"].schema.properties).sort(),
  );
  const problem = await h.call("POST", "/v1/keys", { json: { name: 1 } });
  expect(Object.keys(problem.body).sort()).toEqual([...fields("Problem"), "errors"].sort());
});
