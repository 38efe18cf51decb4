/**
 * Every object that `kubectl kustomize` renders from the base and each overlay validates against
 * the Kubernetes OpenAPI schemas (kubernetes-models ships them as ajv validators; there is no
 * cluster or network here). The schemas do not reject unknown fields, so the other manifest tests
 * read the fields they rely on.
 */
import { describe, expect, it } from "@jest/globals";
import { KUSTOMIZATIONS, render, type K8sObject } from "../support/kustomize";

async function validate(obj: K8sObject): Promise<void> {
  const group = obj.apiVersion as string; // "v1", "apps/v1", "networking.k8s.io/v1", …
  const mod = (await import(`kubernetes-models/${group}`)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  if (obj.kind === "Secret" && obj.data) {
    // kustomize wraps long base64 values over lines; the API server's decoder skips the newlines,
    // ajv's "byte" format does not.
    obj = { ...obj, data: Object.fromEntries(Object.entries(obj.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s/g, "")])) };
  }
  new Model(obj).validate();
}

describe("rendered manifests validate against the Kubernetes schemas", () => {
  it.each(KUSTOMIZATIONS)("%s renders and every object validates", async (name) => {
    const objects = render(name);
    expect(objects.length).toBeGreaterThan(20);
    for (const obj of objects) {
      await expect(validate(obj)).resolves.toBeUndefined();
    }
  });

  it("rejects an object that breaks the schema (the validator is not a no-op)", async () => {
    const dep = structuredClone(render("base").find((o) => o.kind === "Deployment"));
    dep.spec.template.spec.containers[0].ports[0].containerPort = "fifty";
    await expect(validate(dep)).rejects.toThrow(/containerPort/);
    const probe = structuredClone(render("base").find((o) => o.kind === "Deployment"));
    delete probe.spec.selector;
    await expect(validate(probe)).rejects.toThrow(/selector/);
  });
});
