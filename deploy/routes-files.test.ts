/**
 * The datahub.yaml files the deployments ship (compose and the Kubernetes ConfigMap) are valid
 * route configurations: the edge would refuse to start on a bad one.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parseRoutesConfig } from "../services/edge/src/proxy/routes-config";
import { render } from "./support/kustomize";

describe("shipped datahub.yaml files", () => {
  it.each(["compose/datahub.yaml", "k8s/base/datahub.yaml"])("deploy/%s is a valid routes config", (file) => {
    const config = parseRoutesConfig(readFileSync(new URL(file, import.meta.url), "utf8"));
    expect(config.defaults.rateLimit).toEqual(expect.objectContaining({ limit: 1000, windowSeconds: 60 }));
  });

  it("is what the rendered datahub-routes ConfigMap mounts into the edge", () => {
    for (const overlay of ["overlays/dev", "overlays/prod"] as const) {
      const cm = render(overlay).find((o) => o.kind === "ConfigMap" && o.metadata.name === "datahub-routes");
      expect(() => parseRoutesConfig(cm.data["datahub.yaml"])).not.toThrow();
    }
    expect(() => parseRoutesConfig("routes: [{ name: x }]")).toThrow();
  });
});
