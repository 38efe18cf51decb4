/**
 * The shape operators rely on: one Deployment + Service per service running its own DATAHUB_TARGET
 * from the same image, probes that fit the protocol, resources, PDB + HPA (none in dev), a
 * migration Job, wiring that points at the in-cluster Services, a shutdown that fits the grace
 * period, and only environment variables the code reads.
 */
import { describe, expect, it } from "@jest/globals";
import { configDefault, configEnvNames, isForeignEnvName } from "../support/config-env";
import { imageNodeOptions } from "../support/image-node-options";
import { datahubDeployments, find, KUSTOMIZATIONS, podTemplates, render, SERVICES, type K8sObject } from "../support/kustomize";

const quantityBytes = (q: string): number => {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  return Number(m[1]) * { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, "": 1 }[m[2] ?? ""]!;
};

/** The value a container sees for `name`: its own env first, then the envFrom ConfigMap. */
function envValue(objects: K8sObject[], container: K8sObject, name: string): string | undefined {
  const own = container.env?.find((e: K8sObject) => e.name === name);
  if (own) return own.value;
  for (const from of container.envFrom ?? []) {
    const cm = from.configMapRef && objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === from.configMapRef.name);
    if (cm?.data?.[name] !== undefined) return cm.data[name];
  }
  return undefined;
}

describe.each(KUSTOMIZATIONS)("deploy/k8s/%s", (k) => {
  const objects = render(k);

  it.each(SERVICES)("runs %s as its own Deployment + Service with fitting probes and resources", (name) => {
    const dep = objects.find((o) => o.kind === "Deployment" && o.metadata.name === `datahub-${name}`);
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === `datahub-${name}`);
    expect(dep).toBeDefined();
    expect(svc).toBeDefined();
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.env).toContainEqual({ name: "DATAHUB_TARGET", value: name });
    expect(c.args).toEqual(["start"]);
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    // Node's heap must fit inside the container's memory limit with room to spare: the old
    // generation plus the young one (V8 sizes it at three semi-spaces; Node's default is 16 MiB each).
    const nodeOptions = envValue(objects, c, "NODE_OPTIONS") ?? "";
    const oldMb = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    const semiMb = Number(/--max-semi-space-size=(\d+)/.exec(nodeOptions)?.[1] ?? 16);
    expect((oldMb + 3 * semiMb) * 2 ** 20).toBeLessThanOrEqual(0.8 * quantityBytes(c.resources.limits.memory));
    // The edge's NODE_OPTIONS replaces the image's: it keeps the image's young generation.
    if (name === "edge") expect(nodeOptions).toContain(imageNodeOptions());
    if (name === "edge") {
      expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
      expect(c.ports).toContainEqual({ name: "http", containerPort: 8080 });
    } else {
      expect(c.readinessProbe.grpc.port).toBe(50051);
      expect(c.startupProbe.grpc.port).toBe(50051);
      expect(c.ports).toContainEqual({ name: "grpc", containerPort: 50051 });
    }
    // Liveness must not follow dependencies (a Postgres outage must not restart every pod).
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(c.ports).toContainEqual({ name: "metrics", containerPort: 9464 });
    // Selector ↔ pod labels ↔ Service selector; every Service port targets a named container port.
    expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    expect(dep.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    for (const p of svc.spec.ports) expect(c.ports.map((cp: K8sObject) => cp.name)).toContain(p.targetPort);
  });

  it("gives every service the same image", () => {
    const images = new Set(podTemplates(objects).filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] === "datahub").map((p) => p.template.spec.containers[0].image));
    expect(images.size).toBe(1);
    expect([...images][0]).not.toMatch(/:latest$|^[^:]+$/);
  });

  it("points every service address at the in-cluster Service's gRPC port", () => {
    const edge = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "datahub-edge").spec.template.spec.containers[0];
    for (const name of SERVICES.filter((s) => s !== "edge")) {
      const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === `datahub-${name}`);
      const grpc = svc.spec.ports.find((p: K8sObject) => p.name === "grpc");
      expect(envValue(objects, edge, `DATAHUB_${name.toUpperCase()}_ADDR`)).toBe(`${svc.metadata.name}:${grpc.port}`);
    }
  });

  it("lets a pod finish its graceful shutdown before the kubelet kills it", () => {
    for (const dep of datahubDeployments(objects)) {
      const pod = dep.spec.template.spec;
      const c = pod.containers[0];
      const preStop = c.lifecycle.preStop.exec.command;
      expect(preStop[0]).toBe("/bin/sleep");
      const delayMs = Number(envValue(objects, c, "DATAHUB_SHUTDOWN_DELAY_MS") ?? configDefault("DATAHUB_SHUTDOWN_DELAY_MS"));
      const timeoutMs = Number(envValue(objects, c, "DATAHUB_SHUTDOWN_TIMEOUT_MS") ?? configDefault("DATAHUB_SHUTDOWN_TIMEOUT_MS"));
      // preStop + not-ready delay + drain timeout, plus slack for flushing and exit.
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(preStop[1]) + (delayMs + timeoutMs) / 1000 + 5);
    }
  });

  it("runs the migrations as a Job (`datahub migrate`) with the database URL", () => {
    const job = objects.find((o) => o.kind === "Job" && o.metadata.name === "datahub-migrate");
    const c = job.spec.template.spec.containers[0];
    expect(c.args).toEqual(["migrate"]);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(c.env.find((e: K8sObject) => e.name === "DATABASE_URL").valueFrom.secretKeyRef).toBeDefined();
  });

  it("sets only environment variables DataHub, Node.js or OpenTelemetry read", () => {
    const known = configEnvNames();
    expect(known.has("DATABASE_URL") && known.has("DATAHUB_SHUTDOWN_TIMEOUT_MS")).toBe(true);
    const names = new Set<string>();
    for (const { template } of podTemplates(objects).filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] === "datahub")) {
      for (const c of template.spec.containers) for (const e of c.env ?? []) names.add(e.name);
    }
    for (const cm of objects.filter((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("datahub-env"))) {
      for (const n of Object.keys(cm.data)) names.add(n);
    }
    const unknown = [...names].filter((n) => !known.has(n) && !isForeignEnvName(n));
    expect(unknown).toEqual([]);
  });

  it("references only Secrets and ConfigMaps that are rendered or documented as external", () => {
    // Production Secrets come from the operator's secret store (overlays/prod/secret.example.yaml).
    const external = new Set(["datahub-postgres", "datahub-redis", "datahub-internal-token", "datahub-root-key"]);
    for (const { owner, template } of podTemplates(objects)) {
      for (const c of template.spec.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const rendered = objects.some((o) => o.kind === "Secret" && o.metadata.name === ref.name);
          expect({ owner, secret: ref.name, ok: rendered || external.has(ref.name) }).toEqual({ owner, secret: ref.name, ok: true });
        }
        for (const f of c.envFrom ?? []) {
          expect(objects.some((o) => o.kind === "ConfigMap" && o.metadata.name === f.configMapRef.name)).toBe(true);
        }
      }
      for (const v of template.spec.volumes ?? []) {
        if (v.configMap) expect(objects.some((o) => o.kind === "ConfigMap" && o.metadata.name === v.configMap.name)).toBe(true);
      }
    }
  });
});

describe("scaling and disruption", () => {
  it("gives every prod Deployment a PDB and an HPA (autoscaling/v2) and leaves the replica count to the HPA", () => {
    const objects = render("overlays/prod");
    for (const dep of datahubDeployments(objects)) {
      const labels = dep.spec.template.metadata.labels;
      const pdb = objects.find((o) => o.kind === "PodDisruptionBudget" && Object.entries(o.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef.name === dep.metadata.name);
      expect(pdb).toBeDefined();
      expect(hpa?.apiVersion).toBe("autoscaling/v2");
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(3);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      expect(dep.spec.replicas).toBeUndefined();
      expect(dep.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      expect(dep.spec.template.spec.topologySpreadConstraints.map((t: K8sObject) => t.topologyKey)).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    }
  });

  it("runs one replica of everything in dev, without autoscaling", () => {
    const objects = render("overlays/dev");
    expect(objects.filter((o) => o.kind === "HorizontalPodAutoscaler")).toEqual([]);
    for (const dep of datahubDeployments(objects)) expect(dep.spec.replicas).toBe(1);
    // The dev Secrets point at the in-cluster dependencies the overlay deploys.
    const pg = objects.find((o) => o.kind === "Secret" && o.metadata.name.startsWith("datahub-postgres"));
    expect(Buffer.from(pg.data.DATABASE_URL.replace(/\s/g, ""), "base64").toString()).toMatch(/@datahub-postgres:5432\//);
    expect(find(objects, "Service", "datahub-postgres")).toBeDefined();
  });
});
