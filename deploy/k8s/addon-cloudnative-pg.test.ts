/**
 * The CloudNativePG add-on (deploy/k8s/addons/cloudnative-pg) renders with `kubectl kustomize`
 * and sets what docs/operations.md relies on: 3 instances, continuous WAL archiving to the object
 * store with archive_timeout within the RPO, a transaction-mode PgBouncer for the services, a
 * nightly base backup, and the Service names the DataHub Secret's URLs use. The Kubernetes schemas
 * do not know these custom resources, so the fields are checked here one by one.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "@jest/globals";
import { parseDurationMs } from "@datahub/runtime";
import { find, render } from "../support/kustomize";

const objects = render("addons/cloudnative-pg");
const cluster = find(objects, "Cluster", "datahub-pg");
const pooler = find(objects, "Pooler", "datahub-pg-pooler-rw");
const store = find(objects, "ObjectStore", "datahub-pg-backups");
const backup = find(objects, "ScheduledBackup", "datahub-pg-nightly");
const BARMAN = "barman-cloud.cloudnative-pg.io";
const ROOT = new URL("../..", import.meta.url).pathname;

describe("deploy/k8s/addons/cloudnative-pg", () => {
  it("puts everything in a namespace of its own, outside DataHub's default-deny", () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(["Cluster", "Namespace", "ObjectStore", "Pooler", "ScheduledBackup"]);
    expect(find(objects, "Namespace", "datahub-postgres")).toBeDefined();
    for (const o of objects.filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace).toBe("datahub-postgres");
    expect(objects.some((o) => o.kind === "Secret")).toBe(false); // credentials never live in the repository
  });

  it("runs a 3-instance cluster, one instance per node, archiving WAL continuously within the RPO", () => {
    expect(cluster.apiVersion).toBe("postgresql.cnpg.io/v1");
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.affinity).toMatchObject({ enablePodAntiAffinity: true, podAntiAffinityType: "required" });
    expect(cluster.spec.bootstrap.initdb).toMatchObject({ database: "datahub", owner: "datahub", secret: { name: "datahub-pg-credentials" } });
    const archiver = cluster.spec.plugins.find((p: { name: string }) => p.name === BARMAN);
    expect(archiver).toMatchObject({ isWALArchiver: true, parameters: { barmanObjectName: store.metadata.name } });
    const timeoutMs = parseDurationMs(cluster.spec.postgresql.parameters.archive_timeout)!;
    expect(timeoutMs).toBeGreaterThan(0);
    expect(timeoutMs).toBeLessThanOrEqual(60_000);
  });

  it("archives to an object store whose bucket and credentials are placeholders to set", () => {
    expect(store.apiVersion).toBe("barmancloud.cnpg.io/v1");
    expect(store.spec.configuration.destinationPath).toMatch(/^s3:\/\/REPLACE-ME/);
    expect(store.spec.configuration.s3Credentials.accessKeyId.name).toBe("datahub-pg-backup-credentials");
    expect(store.spec.configuration.s3Credentials.secretAccessKey.name).toBe("datahub-pg-backup-credentials");
    expect(store.spec.retentionPolicy).toMatch(/^[1-9][0-9]*[dwm]$/);
  });

  it("takes a base backup every day through the plugin", () => {
    expect(backup.spec).toMatchObject({ cluster: { name: "datahub-pg" }, method: "plugin", pluginConfiguration: { name: BARMAN } });
    const [sec, min, hour, ...rest] = backup.spec.schedule.split(" ");
    expect({ sec, min, hour, rest }).toEqual({ sec: "0", min: "0", hour: "3", rest: ["*", "*", "*"] });
  });

  it("pools the primary with PgBouncer in transaction mode, accepting node-postgres' startup parameters", () => {
    expect(pooler.spec).toMatchObject({ cluster: { name: "datahub-pg" }, type: "rw", pgbouncer: { poolMode: "transaction" } });
    expect(pooler.spec.instances).toBeGreaterThanOrEqual(2);
    const ignored = pooler.spec.pgbouncer.parameters.ignore_startup_parameters.split(",");
    expect(ignored).toContain("statement_timeout");
    // CloudNativePG takes parameter values as strings only.
    for (const v of Object.values(pooler.spec.pgbouncer.parameters)) expect(typeof v).toBe("string");
  });

  it("has a restore manifest that recreates the same cluster from the archive, archiving under a new name", () => {
    const restore = parse(readFileSync(`${ROOT}/deploy/k8s/addons/cloudnative-pg/restore.example.yaml`, "utf8"));
    expect(restore.metadata).toMatchObject({ name: cluster.metadata.name, namespace: "datahub-postgres" });
    const source = restore.spec.externalClusters.find((c: { name: string }) => c.name === restore.spec.bootstrap.recovery.source);
    expect(source.plugin).toEqual({ name: BARMAN, parameters: { barmanObjectName: store.metadata.name, serverName: cluster.metadata.name } });
    const archiver = restore.spec.plugins.find((p: { name: string }) => p.name === BARMAN);
    expect(archiver.isWALArchiver).toBe(true);
    expect(archiver.parameters.serverName).not.toBe(cluster.metadata.name);
    // Everything else as in cluster.yaml, so the restored cluster is the same cluster.
    for (const field of ["instances", "postgresql", "storage", "affinity", "resources"]) expect({ field, v: restore.spec[field] }).toEqual({ field, v: cluster.spec[field] });
  });

  it("documents the Secret that points DataHub at the pooler, the -rw and the -ro services", () => {
    const doc = readFileSync(`${ROOT}/docs/operations.md`, "utf8");
    const host = (svc: string) => `${svc}.datahub-postgres.svc:5432/datahub`;
    expect(doc).toMatch(new RegExp(`DATABASE_URL=[^\\s]*@${host(pooler.metadata.name)}`));
    expect(doc).toMatch(new RegExp(`DATABASE_DIRECT_URL=[^\\s]*@${host(`${cluster.metadata.name}-rw`)}`));
    expect(doc).toMatch(new RegExp(`AUDIT_READ_DATABASE_URL=[^\\s]*@${host(`${cluster.metadata.name}-ro`)}`));
  });
});
