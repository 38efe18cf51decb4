/**
 * Pod hardening and network isolation of the rendered manifests: every container non-root with a
 * read-only root filesystem, no capabilities and the runtime's seccomp profile; no service-account
 * token; and NetworkPolicies that open exactly the paths DataHub needs — evaluated, not just
 * listed (deploy/support/netpol.ts).
 */
import { describe, expect, it } from "@jest/globals";
import { configEnvNames } from "../support/config-env";
import { allowed, type Labels, type NetworkPolicy } from "../support/netpol";
import { KUSTOMIZATIONS, podTemplates, render, SERVICES } from "../support/kustomize";

describe.each(KUSTOMIZATIONS)("deploy/k8s/%s pod security", (k) => {
  const objects = render(k);

  it("runs every container as non-root, read-only, without capabilities or a token", () => {
    const templates = podTemplates(objects);
    expect(templates.length).toBeGreaterThanOrEqual(6);
    for (const { owner, template } of templates) {
      const pod = template.spec;
      expect({ owner, runAsNonRoot: pod.securityContext.runAsNonRoot }).toEqual({ owner, runAsNonRoot: true });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.hostNetwork ?? false).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
        expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
        expect(c.securityContext.privileged ?? false).toBe(false);
      }
    }
  });

  it("disables service-link env vars, whose names collide with DataHub's configuration", () => {
    // Kubernetes would inject <SERVICE>_PORT=tcp://ip:port for every Service in the namespace.
    const injected = objects
      .filter((o) => o.kind === "Service")
      .flatMap((svc) => [`${svc.metadata.name.toUpperCase().replace(/-/g, "_")}_PORT`, `${svc.metadata.name.toUpperCase().replace(/-/g, "_")}_SERVICE_HOST`]);
    const known = configEnvNames();
    expect(injected.filter((n) => known.has(n))).toContain("DATAHUB_EDGE_PORT");
    for (const { owner, template } of podTemplates(objects).filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] === "datahub")) {
      expect({ owner, enableServiceLinks: template.spec.enableServiceLinks }).toEqual({ owner, enableServiceLinks: false });
    }
  });

  it("gives DataHub containers a read-only root filesystem with an emptyDir /tmp (tsx's cache)", () => {
    for (const { owner, template } of podTemplates(objects).filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] === "datahub")) {
      const c = template.spec.containers[0];
      expect({ owner, ro: c.securityContext.readOnlyRootFilesystem }).toEqual({ owner, ro: true });
      const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/tmp");
      const vol = template.spec.volumes.find((v: { name: string }) => v.name === tmp.name);
      expect(vol.emptyDir).toBeDefined();
      expect(template.spec.securityContext.runAsUser).toBe(10001); // the image's USER
    }
  });

  it("keeps secrets out of plain env values and ConfigMaps", () => {
    const secretish = /postgres(ql)?:\/\/[^@\s]+:[^@\s]+@|rediss?:\/\/[^@\s]*:[^@\s]+@|dhr?_[0-9A-Za-z]{38}/;
    for (const cm of objects.filter((o) => o.kind === "ConfigMap")) expect(JSON.stringify(cm.data)).not.toMatch(secretish);
    for (const { template } of podTemplates(objects).filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] === "datahub")) {
      for (const e of template.spec.containers[0].env ?? []) {
        if (["DATABASE_URL", "REDIS_URL", "DATAHUB_ROOT_KEY", "DATAHUB_INTERNAL_TOKEN"].includes(e.name)) expect(e.valueFrom?.secretKeyRef).toBeDefined();
        expect(String(e.value ?? "")).not.toMatch(secretish);
      }
    }
  });

  it("gives every service the internal gRPC token from one Secret, and opens the gRPC port to other pods only with it", () => {
    const services = podTemplates(objects).filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] === "datahub" && p.kind === "Deployment");
    expect(services.map((p) => p.template.metadata.labels["app.kubernetes.io/component"]).sort()).toEqual([...SERVICES].sort());
    for (const { owner, template } of services) {
      const token = (template.spec.containers[0].env ?? []).find((e: { name: string }) => e.name === "DATAHUB_INTERNAL_TOKEN");
      // The dev overlay generates the Secret, so its name carries kustomize's hash suffix.
      expect({ owner, ref: token?.valueFrom?.secretKeyRef }).toEqual({ owner, ref: { name: expect.stringMatching(/^datahub-internal-token(-[a-z0-9]{10})?$/), key: "DATAHUB_INTERNAL_TOKEN" } });
    }
    const env = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("datahub-env"));
    expect(env.data.DATAHUB_GRPC_BIND_HOST).toBe("0.0.0.0");
  });
});

describe.each(["overlays/dev", "overlays/prod"] as const)("deploy/k8s/%s namespace", (k) => {
  it("creates its namespace with Pod Security 'restricted' enforced and puts everything in it", () => {
    const objects = render(k);
    const namespaces = objects.filter((o) => o.kind === "Namespace");
    expect(namespaces.length).toBe(1);
    expect(namespaces[0].metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const o of objects.filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace).toBe(namespaces[0].metadata.name);
  });
});

// Who may call whom over gRPC (docs/reference/grpc.md, "Credentials"): the edge calls every service; auth publishes
// key.* events to webhooks. Nothing else.
const GRPC_CALLS = new Set(["edge→auth", "edge→ratelimit", "edge→audit", "edge→webhooks", "auth→webhooks"]);
const POSTGRES_CLIENTS = new Set(["auth", "audit", "webhooks", "migrate"]);
const REDIS_CLIENTS = new Set(["edge", "auth", "ratelimit", "webhooks"]);

describe.each(KUSTOMIZATIONS)("deploy/k8s/%s network policies", (k) => {
  const objects = render(k);
  const policies = objects.filter((o) => o.kind === "NetworkPolicy") as NetworkPolicy[];
  const podLabels = new Map<string, Labels>(
    podTemplates(objects)
      .filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] === "datahub")
      .map((p) => [p.template.metadata.labels["app.kubernetes.io/component"] as string, p.template.metadata.labels as Labels]),
  );
  const pod = (name: string) => ({ pod: podLabels.get(name)! });
  // Where the dependencies are: the dev overlay runs them in the namespace, the others outside.
  const depPods = new Map<string, Labels>(
    podTemplates(objects)
      .filter((p) => p.template.metadata.labels["app.kubernetes.io/name"] !== "datahub")
      .map((p) => [p.template.metadata.labels["app.kubernetes.io/name"] as string, p.template.metadata.labels as Labels]),
  );
  const cidrOf = (policy: string) => policies.find((p) => p.metadata.name === policy)?.spec.egress?.[0]?.to?.[0]?.ipBlock?.cidr.split("/")[0];
  const postgres = depPods.has("datahub-postgres") ? { pod: depPods.get("datahub-postgres")! } : { ip: cidrOf("datahub-postgres-clients")! };
  const redis = depPods.has("datahub-redis") ? { pod: depPods.get("datahub-redis")! } : { ip: cidrOf("datahub-redis-clients")! };

  it("denies everything by default", () => {
    const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 || Object.keys(p.spec.podSelector.matchLabels ?? {}).length === 0);
    expect(deny?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(deny?.spec.ingress ?? []).toEqual([]);
    expect(deny?.spec.egress ?? []).toEqual([]);
    // An unlisted pod in the namespace can neither be reached nor reach anything.
    const stranger = { pod: { app: "stranger" } };
    expect(allowed(policies, stranger, pod("auth"), 50051)).toBe(false);
    expect(allowed(policies, pod("edge"), stranger, 8080)).toBe(false);
  });

  it("opens gRPC exactly for the calls the services make", () => {
    const names = [...SERVICES, "migrate"];
    expect(podLabels.size).toBe(names.length);
    for (const from of names) {
      for (const to of SERVICES) {
        if (from === to) continue;
        const expected = GRPC_CALLS.has(`${from}→${to}`);
        expect({ call: `${from}→${to}`, allowed: allowed(policies, pod(from), pod(to), 50051) }).toEqual({ call: `${from}→${to}`, allowed: expected });
      }
    }
  });

  it("lets only the services that use PostgreSQL or Redis reach them", () => {
    for (const name of [...SERVICES, "migrate"]) {
      expect({ name, postgres: allowed(policies, pod(name), postgres, 5432) }).toEqual({ name, postgres: POSTGRES_CLIENTS.has(name) });
      expect({ name, redis: allowed(policies, pod(name), redis, 6379) }).toEqual({ name, redis: REDIS_CLIENTS.has(name) });
    }
  });

  it("exposes the edge's public port (in prod to the ingress controller only), /metrics to the monitoring namespace, and DNS", () => {
    const controller = { namespace: { "kubernetes.io/metadata.name": "ingress-nginx" }, pod: { "app.kubernetes.io/name": "ingress-nginx" } };
    const otherPod = { namespace: { "kubernetes.io/metadata.name": "shop" }, pod: { app: "shop" } };
    expect(allowed(policies, controller, pod("edge"), 8080)).toBe(true);
    // Behind the prod ingress nothing else may reach the edge: a pod in the trusted proxies' CIDR
    // could otherwise claim any client address (docs/operations.md, "Load balancer and TLS").
    expect(allowed(policies, { ip: "203.0.113.9" }, pod("edge"), 8080)).toBe(k !== "overlays/prod");
    expect(allowed(policies, otherPod, pod("edge"), 8080)).toBe(k !== "overlays/prod");
    expect(allowed(policies, { ip: "203.0.113.9" }, pod("auth"), 50051)).toBe(false);
    const prometheus = { namespace: { "kubernetes.io/metadata.name": "monitoring" }, pod: { app: "prometheus" } };
    const dns = { namespace: { "kubernetes.io/metadata.name": "kube-system" }, pod: { "k8s-app": "kube-dns" } };
    for (const name of SERVICES) {
      expect(allowed(policies, prometheus, pod(name), 9464)).toBe(true);
      expect(allowed(policies, pod(name), dns, 53)).toBe(true);
    }
  });

  it("lets the edge reach upstreams and webhooks reach receivers, but not cloud metadata or private ranges", () => {
    expect(allowed(policies, pod("edge"), { ip: "203.0.113.50" }, 443)).toBe(true);
    expect(allowed(policies, pod("edge"), { ip: "169.254.169.254" }, 80)).toBe(false);
    expect(allowed(policies, pod("webhooks"), { ip: "203.0.113.50" }, 443)).toBe(true);
    for (const ip of ["10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "127.0.0.1"]) {
      expect({ ip, allowed: allowed(policies, pod("webhooks"), { ip }, 443) }).toEqual({ ip, allowed: false });
    }
    expect(allowed(policies, pod("auth"), { ip: "203.0.113.50" }, 443)).toBe(false);
  });
});
