/**
 * The Kubernetes manifests are checked statically (there is no cluster here): kustomize must render
 * them, and the rendered objects must describe one Deployment + Service per service, each running
 * its own DATAHUB_TARGET as non-root on a read-only filesystem with probes that fit its protocol.
 */
import { execFileSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

const rendered = execFileSync("kubectl", ["kustomize", new URL("./base", import.meta.url).pathname], { encoding: "utf8" });
const objects = parseAllDocuments(rendered).map((d) => d.toJS() as any);
const SERVICES = ["edge", "auth", "ratelimit", "audit", "webhooks"];

describe("deploy/k8s/base", () => {
  it.each(SERVICES)("has a Deployment and Service for %s", (name) => {
    const dep = objects.find((o) => o.kind === "Deployment" && o.metadata.name === `datahub-${name}`);
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === `datahub-${name}`);
    expect(dep).toBeDefined();
    expect(svc).toBeDefined();
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.env).toContainEqual({ name: "DATAHUB_TARGET", value: name });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    if (name === "edge") expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    else expect(c.readinessProbe.grpc.port).toBe(50051);
    // The selector must match the pod labels, and the Service must select the same pods.
    expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    expect(dep.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
  });

  it("points every service address at the in-cluster Services", () => {
    const env = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "datahub-env");
    for (const name of SERVICES.filter((s) => s !== "edge")) {
      const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === `datahub-${name}`);
      expect(env.data[`DATAHUB_${name.toUpperCase()}_ADDR`]).toBe(`${svc.metadata.name}:${svc.spec.ports[0].port}`);
    }
  });
});
