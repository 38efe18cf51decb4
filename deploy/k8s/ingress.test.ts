/**
 * The production entrance (overlays/prod/ingress.yaml): an Ingress for the edge Service with TLS
 * from a Secret, whose limits are the edge's own defaults from config.ts, and an edge that trusts
 * X-Forwarded-For only in prod, where a proxy sits in front of it. The Kubernetes schema check of
 * the Ingress is manifests.schema.test.ts's.
 */
import { describe, expect, it } from "@jest/globals";
import { configDefault } from "../support/config-env";
import { render, type K8sObject } from "../support/kustomize";

const prod = render("overlays/prod");
const ingress = prod.find((o) => o.kind === "Ingress");
const annotation = (name: string): string => ingress.metadata.annotations[name];
/** The datahub-env value every DataHub pod (the edge included) gets. */
const envOf = (objects: K8sObject[], name: string): string | undefined =>
  objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("datahub-env")).data[name];

describe("overlays/prod ingress", () => {
  it("routes every path of its host to the edge Service's HTTP port, with TLS from a Secret", () => {
    expect(prod.filter((o) => o.kind === "Ingress")).toHaveLength(1);
    const rule = ingress.spec.rules[0];
    expect(rule.http.paths).toEqual([{ path: "/", pathType: "Prefix", backend: { service: { name: "datahub-edge", port: { name: "http" } } } }]);
    const svc = prod.find((o) => o.kind === "Service" && o.metadata.name === "datahub-edge");
    expect(svc.spec.ports.find((p: K8sObject) => p.name === "http").targetPort).toBe("http");
    expect(ingress.spec.tls).toEqual([{ hosts: [rule.host], secretName: "datahub-tls" }]);
    expect(ingress.spec.ingressClassName).toBeDefined();
    // cert-manager fills the Secret (documented: drop the annotation to manage it yourself).
    expect(annotation("cert-manager.io/cluster-issuer")).toBeDefined();
  });

  it("sets the controller's limits to the edge's own", () => {
    const size = /^(\d+)([km]?)$/.exec(annotation("nginx.ingress.kubernetes.io/proxy-body-size"))!;
    expect(Number(size[1]) * { "": 1, k: 1024, m: 1024 * 1024 }[size[2] as "" | "k" | "m"]).toBe(configDefault("DATAHUB_MAX_BODY_BYTES"));
    expect(Number(annotation("nginx.ingress.kubernetes.io/proxy-send-timeout")) * 1000).toBe(configDefault("DATAHUB_REQUEST_TIMEOUT_MS"));
    // The edge answers 504 at a route's timeoutMs (30 s unless the route says otherwise): the
    // controller must wait longer.
    expect(Number(annotation("nginx.ingress.kubernetes.io/proxy-read-timeout"))).toBeGreaterThan(30);
    // Retries never replay a sent non-idempotent request: no `non_idempotent`.
    expect(annotation("nginx.ingress.kubernetes.io/proxy-next-upstream")).not.toMatch(/non_idempotent/);
  });

  it("makes the edge trust X-Forwarded-For from a CIDR in prod only", () => {
    const trusted = envOf(prod, "DATAHUB_TRUSTED_PROXIES")!;
    expect(trusted.split(",").every((c) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c))).toBe(true);
    // Never "everyone": that would let any client pick its own address.
    expect(trusted.split(",")).not.toContain("0.0.0.0/0");
    for (const k of ["base", "overlays/dev"] as const) expect(envOf(render(k), "DATAHUB_TRUSTED_PROXIES")).toBeUndefined();
  });
});
