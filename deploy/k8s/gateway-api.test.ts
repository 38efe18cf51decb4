/**
 * The Gateway API add-on (deploy/k8s/addons/gateway-api). kubernetes-models has no Gateway API
 * schemas, so the fields it uses are checked here against a strict subset of the v1 CRDs (types,
 * enums, duration syntax; unknown fields refused), and its references are resolved: the routes
 * attach to the add-on's Gateway listeners and send to the prod overlay's edge Service, with the
 * Ingress's TLS Secret and timeout.
 */
import { describe, expect, it } from "@jest/globals";
import Ajv2019 from "ajv/dist/2019";
import { render, type K8sObject } from "../support/kustomize";

const addon = render("addons/gateway-api");
const prod = render("overlays/prod");
const gateways = addon.filter((o) => o.kind === "Gateway");
const routes = addon.filter((o) => o.kind === "HTTPRoute");

// Subsets of gateway.networking.k8s.io/v1 Gateway and HTTPRoute (Gateway API v1.2 CRDs).
const name = { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 253 };
const hostname = { type: "string", pattern: "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" };
const duration = { type: "string", pattern: "^([0-9]{1,5}(h|m|s|ms)){1,4}$" };
const port = { type: "integer", minimum: 1, maximum: 65535 };
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({ type: "object", additionalProperties: false, properties, required });
const metadata = strict({ name, namespace: name, labels: { type: "object" }, annotations: { type: "object" } }, ["name"]);
const objectOf = (kind: string, spec: unknown) =>
  strict({ apiVersion: { const: "gateway.networking.k8s.io/v1" }, kind: { const: kind }, metadata, spec }, ["apiVersion", "kind", "metadata", "spec"]);

const gatewaySchema = objectOf(
  "Gateway",
  strict(
    {
      gatewayClassName: name,
      listeners: {
        type: "array",
        minItems: 1,
        maxItems: 64,
        items: strict(
          {
            name,
            hostname,
            port,
            protocol: { enum: ["HTTP", "HTTPS", "TLS", "TCP", "UDP"] },
            tls: strict({
              mode: { enum: ["Terminate", "Passthrough"] },
              certificateRefs: { type: "array", maxItems: 64, items: strict({ group: { type: "string" }, kind: { type: "string" }, name, namespace: name }, ["name"]) },
            }),
            allowedRoutes: strict({ namespaces: strict({ from: { enum: ["All", "Same", "Selector"] }, selector: { type: "object" } }) }),
          },
          ["name", "port", "protocol"],
        ),
      },
    },
    ["gatewayClassName", "listeners"],
  ),
);

const routeSchema = objectOf(
  "HTTPRoute",
  strict(
    {
      parentRefs: { type: "array", maxItems: 32, items: strict({ group: { type: "string" }, kind: { type: "string" }, namespace: name, name, sectionName: name, port }, ["name"]) },
      hostnames: { type: "array", maxItems: 16, items: hostname },
      rules: {
        type: "array",
        minItems: 1,
        maxItems: 16,
        items: strict({
          matches: { type: "array", items: strict({ path: strict({ type: { enum: ["Exact", "PathPrefix", "RegularExpression"] }, value: { type: "string", pattern: "^/" } }), method: { type: "string" } }) },
          filters: {
            type: "array",
            items: strict({
              type: { enum: ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef"] },
              requestRedirect: strict({ scheme: { enum: ["http", "https"] }, hostname, port, statusCode: { enum: [301, 302] } }),
            }, ["type"]),
          },
          backendRefs: { type: "array", items: strict({ group: { type: "string" }, kind: { type: "string" }, name, namespace: name, port, weight: { type: "integer", minimum: 0 } }, ["name"]) },
          timeouts: strict({ request: duration, backendRequest: duration }),
        }),
      },
    },
    ["parentRefs"],
  ),
);

const ajv = new Ajv2019({ strict: false, allErrors: true });
const validateGateway = ajv.compile(gatewaySchema);
const validateRoute = ajv.compile(routeSchema);
const seconds = (d: string): number => [...d.matchAll(/(\d+)(h|ms|m|s)/g)].reduce((t, [, n, u]) => t + Number(n) * { h: 3600, m: 60, s: 1, ms: 0.001 }[u as "h"], 0);

describe("addons/gateway-api", () => {
  it("renders one Gateway and its HTTPRoutes into the prod namespace, valid against the v1 field subset", () => {
    expect(gateways).toHaveLength(1);
    expect(routes.length).toBeGreaterThanOrEqual(1);
    expect(addon.length).toBe(gateways.length + routes.length);
    const namespace = prod.find((o) => o.kind === "Namespace").metadata.name;
    for (const o of addon) {
      expect(o.metadata.namespace).toBe(namespace);
      const validate = o.kind === "Gateway" ? validateGateway : validateRoute;
      validate(o);
      expect({ name: o.metadata.name, errors: validate.errors ?? [] }).toEqual({ name: o.metadata.name, errors: [] });
    }
  });

  it("refuses what the CRDs would (the check is not a no-op)", () => {
    const route = structuredClone(routes[0]);
    route.spec.rules[0].timeouts = { request: "60 seconds" };
    expect(validateRoute(route)).toBe(false);
    const misspelt = structuredClone(routes[0]);
    misspelt.spec.rules[0].backendRef = misspelt.spec.rules[0].backendRefs;
    expect(validateRoute(misspelt)).toBe(false);
    const gateway = structuredClone(gateways[0]);
    gateway.spec.listeners[0].tls.mode = "terminate";
    expect(validateGateway(gateway)).toBe(false);
  });

  it("terminates TLS with the Ingress's Secret and only redirects plain HTTP", () => {
    const listeners = gateways[0].spec.listeners as K8sObject[];
    const https = listeners.filter((l) => l.protocol === "HTTPS");
    expect(https).toHaveLength(1);
    expect(https[0].port).toBe(443);
    expect(https[0].tls.mode).toBe("Terminate");
    const ingress = prod.find((o) => o.kind === "Ingress");
    expect(https[0].tls.certificateRefs).toEqual([{ kind: "Secret", name: ingress.spec.tls[0].secretName }]);
    for (const route of routes) {
      for (const ref of route.spec.parentRefs) {
        const listener = listeners.find((l) => l.name === ref.sectionName);
        expect({ route: route.metadata.name, parent: ref.name, listener: listener?.name }).toEqual({ route: route.metadata.name, parent: gateways[0].metadata.name, listener: ref.sectionName });
        for (const host of route.spec.hostnames) expect(host).toBe(listener.hostname);
        // Routes on plain HTTP may only redirect to HTTPS.
        if (listener.protocol === "HTTP") {
          for (const rule of route.spec.rules) {
            expect(rule.backendRefs).toBeUndefined();
            expect(rule.filters).toEqual([{ type: "RequestRedirect", requestRedirect: expect.objectContaining({ scheme: "https" }) }]);
          }
        }
      }
    }
  });

  it("sends HTTPS requests to the edge Service, waiting as long as the Ingress does", () => {
    const ingress = prod.find((o) => o.kind === "Ingress");
    const svc = prod.find((o) => o.kind === "Service" && o.metadata.name === "datahub-edge");
    const backends = routes.flatMap((r) => r.spec.rules.flatMap((rule: K8sObject) => (rule.backendRefs ?? []).map((b: K8sObject) => ({ b, rule }))));
    expect(backends.length).toBeGreaterThanOrEqual(1);
    for (const { b, rule } of backends) {
      expect(b.name).toBe(svc.metadata.name);
      expect(svc.spec.ports.find((p: K8sObject) => p.port === b.port)?.name).toBe("http");
      expect(seconds(rule.timeouts.request)).toBe(Number(ingress.metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]));
    }
  });
});
