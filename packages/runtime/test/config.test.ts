import { loadConfig, ConfigError, generateApiKey } from "@datahub/runtime";

const TOKEN = "internal-token-of-at-least-32-characters-0123";

describe("loadConfig", () => {
  it("applies the documented defaults (docs/reference/configuration.md)", () => {
    const c = loadConfig({});
    expect(c.targets).toEqual(["edge", "auth", "ratelimit", "audit", "webhooks"]);
    expect(c.ports).toEqual({ edge: 8080, grpc: 50051, metrics: 9464 });
    expect(c.addresses.auth).toBe("127.0.0.1:50051");
    expect(c.databaseUrls.audit).toBe("postgres://postgres@127.0.0.1:5432/datahub");
    expect(c.redis.ratelimit).toEqual(["redis://127.0.0.1:6379"]);
    expect(c.redis.cluster).toBe(false);
  });

  it("reads a comma list of targets and per-service overrides", () => {
    const c = loadConfig({ DATAHUB_TARGET: "auth, audit", DATAHUB_INTERNAL_TOKEN: TOKEN, AUDIT_DATABASE_URL: "postgres://x@h/audit", RATELIMIT_REDIS_URL: "redis://a:1,redis://b:2" });
    expect(c.targets).toEqual(["auth", "audit"]);
    expect(c.databaseUrls.audit).toBe("postgres://x@h/audit");
    expect(c.databaseUrls.auth).toBe("postgres://postgres@127.0.0.1:5432/datahub");
    expect(c.redis.ratelimit).toEqual(["redis://a:1", "redis://b:2"]);
  });

  it("resolves the direct (session) URLs and the audit read URL", () => {
    const plain = loadConfig({ DATABASE_URL: "postgres://u@db/app" });
    expect(plain.databaseDirectUrls).toEqual({ auth: "postgres://u@db/app", audit: "postgres://u@db/app", webhooks: "postgres://u@db/app" });
    expect(plain.auditReadDatabaseUrl).toBeUndefined();
    const pooled = loadConfig({
      DATABASE_URL: "postgres://u@pooler/app",
      DATABASE_DIRECT_URL: "postgres://u@primary/app",
      WEBHOOKS_DATABASE_URL: "postgres://u@pooler/app",
      AUTH_DATABASE_URL: "postgres://a@pooler/authdb",
      AUTH_DATABASE_DIRECT_URL: "postgres://a@primary/authdb",
      AUDIT_READ_DATABASE_URL: "postgres://u@replica/app",
    });
    expect(pooled.databaseUrls.audit).toBe("postgres://u@pooler/app");
    expect(pooled.databaseDirectUrls).toEqual({ auth: "postgres://a@primary/authdb", audit: "postgres://u@primary/app", webhooks: "postgres://u@primary/app" });
    expect(pooled.auditReadDatabaseUrl).toBe("postgres://u@replica/app");
  });

  it("refuses a shared direct URL naming another database than a service's own URL, without echoing either", () => {
    const env = { DATABASE_DIRECT_URL: "postgres://u:secret1@primary/app", AUDIT_DATABASE_URL: "postgres://u:secret2@pooler/auditdb" };
    expect(() => loadConfig(env)).toThrow(/AUDIT_DATABASE_DIRECT_URL/);
    expect(() => loadConfig(env)).not.toThrow(/secret/);
    expect(() => loadConfig({ AUDIT_READ_DATABASE_URL: "mysql://u:secret@h/x" })).toThrow(/^invalid AUDIT_READ_DATABASE_URL: expected a URL starting with postgres/);
    expect(() => loadConfig({ DATABASE_DIRECT_URL: "nope" })).toThrow(/DATABASE_DIRECT_URL/);
  });

  it("accepts a well-formed root key", () => {
    const key = generateApiKey("dhr");
    expect(loadConfig({ DATAHUB_ROOT_KEY: key }).rootKey).toBe(key);
  });

  it.each([
    ["DATAHUB_EDGE_PORT", "99999"],
    ["DATAHUB_GRPC_PORT", "abc"],
    ["DATAHUB_TARGET", "edge,billing"],
    ["DATABASE_URL", "not a url"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["LOG_LEVEL", "loud"],
    ["DATAHUB_ROOT_KEY", "dhr_notavalidkey"],
    ["REDIS_CLUSTER", "maybe"],
    ["DATAHUB_WEBHOOKS_ALLOW_CIDRS", "127.0.0.1"],
    ["DATAHUB_WEBHOOKS_ALLOW_CIDRS", "10.0.0.0/33"],
    ["DATAHUB_WEBHOOKS_RETRY_SCHEDULE", "5s,soon"],
    ["DATAHUB_WEBHOOKS_CONCURRENCY", "0"],
    ["DATAHUB_INTERNAL_TOKEN", "short"],
    ["DATAHUB_INTERNAL_TOKEN", `${TOKEN},${TOKEN}x,${TOKEN}y`],
    ["DATAHUB_INTERNAL_TOKEN", generateApiKey()],
    ["DATAHUB_GRPC_TLS_CERT", "/nonexistent/cert.pem"],
    ["DATAHUB_HEADERS_TIMEOUT_MS", "10s"],
    ["DATAHUB_REQUEST_TIMEOUT_MS", "0"],
    ["DATAHUB_KEEPALIVE_TIMEOUT_MS", "-1"],
  ])("rejects a bad %s with one line naming it", (name, value) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain(name);
    expect(message.split("\n")).toHaveLength(1);
  });

  it("puts the console at /console by default, and refuses paths it cannot own", () => {
    expect(loadConfig({}).console).toEqual({ enabled: true, path: "/console", dir: undefined, sessionTtlMs: 28_800_000, secureCookie: false });
    expect(loadConfig({ DATAHUB_CONSOLE_PATH: "/ops/admin", DATAHUB_CONSOLE: "off" }).console).toMatchObject({ enabled: false, path: "/ops/admin" });
    for (const bad of ["console", "/console/", "/Console", "/", "/a//b", "/v1", "/v1/console", "/healthz", "/readyz"]) {
      expect(() => loadConfig({ DATAHUB_CONSOLE_PATH: bad })).toThrow(/^invalid DATAHUB_CONSOLE_PATH: [^\n]+$/);
    }
    expect(() => loadConfig({ DATAHUB_CONSOLE_SESSION_TTL_MS: "10" })).toThrow(/^invalid DATAHUB_CONSOLE_SESSION_TTL_MS: /);
  });

  it("binds gRPC to loopback by default, apart from the public listeners", () => {
    const c = loadConfig({ DATAHUB_BIND_HOST: "0.0.0.0" });
    expect(c.bindHost).toBe("0.0.0.0");
    expect(c.grpcBindHost).toBe("127.0.0.1");
    expect(loadConfig({ DATAHUB_GRPC_BIND_HOST: "::" }).grpcBindHost).toBe("::");
  });

  it("makes up a random internal token in all mode, and refuses to run part of the services without one", () => {
    const a = loadConfig({}).internal;
    const b = loadConfig({ DATAHUB_TARGET: "edge,auth,ratelimit,audit,webhooks" }).internal;
    expect(a.generated).toBe(true);
    expect(a.tokens[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.tokens[0]).not.toBe(a.tokens[0]);
    expect(() => loadConfig({ DATAHUB_TARGET: "edge" })).toThrow(/^missing DATAHUB_INTERNAL_TOKEN: [^\n]+$/);
    expect(loadConfig({ DATAHUB_TARGET: "edge", DATAHUB_INTERNAL_TOKEN: `${TOKEN}new, ${TOKEN}` }).internal).toEqual({ tokens: [`${TOKEN}new`, TOKEN], generated: false });
  });

  it("never echoes the internal token", () => {
    const secret = "s3cr3t,with,too,many,values-0123456789abcdefghijklmn";
    expect(() => loadConfig({ DATAHUB_INTERNAL_TOKEN: secret })).toThrow(/^invalid DATAHUB_INTERNAL_TOKEN: /);
    try {
      loadConfig({ DATAHUB_INTERNAL_TOKEN: secret });
    } catch (e) {
      expect((e as Error).message).not.toContain("s3cr3t");
    }
  });

  it("never echoes a database URL (it may hold a password)", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://user:hunter2@db/x" })).toThrow(/^invalid DATABASE_URL: (?!.*hunter2)/);
  });

  it("reads the webhook tunables: Svix's schedule by default, durations with units", () => {
    const d = loadConfig({}).webhooks;
    expect(d.retryScheduleMs).toEqual([5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(d).toMatchObject({ timeoutMs: 15000, maxPayloadBytes: 262144, disableAfterMs: 5 * 86_400_000, defaultRatePerSecond: 0 });
    const c = loadConfig({ DATAHUB_WEBHOOKS_RETRY_SCHEDULE: "100ms, 2s,1m", DATAHUB_WEBHOOKS_ALLOW_CIDRS: "127.0.0.0/8, ::1/128" });
    expect(c.webhooks.retryScheduleMs).toEqual([100, 2000, 60_000]);
    expect(c.webhooksAllowCidrs).toEqual(["127.0.0.0/8", "::1/128"]);
  });

  it("reads DATAHUB_TRUSTED_PROXIES as a CIDR list (default none) and names it when a value is bad", () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(loadConfig({ DATAHUB_TRUSTED_PROXIES: " 10.0.0.0/8, ::1/128," }).trustedProxies).toEqual(["10.0.0.0/8", "::1/128"]);
    for (const bad of ["10.0.0.1", "10.0.0.0/33", "proxy.internal/32", "10.0.0.0/8/1"]) {
      expect(() => loadConfig({ DATAHUB_TRUSTED_PROXIES: bad })).toThrow(/^invalid DATAHUB_TRUSTED_PROXIES: expected a comma list of CIDRs[^\n]*$/);
    }
  });

  it("reads the edge's client timeouts; the headers timeout may not exceed the request timeout", () => {
    expect(loadConfig({}).clientTimeouts).toEqual({ headersMs: 10_000, requestMs: 60_000, keepAliveMs: 65_000 });
    expect(loadConfig({ DATAHUB_HEADERS_TIMEOUT_MS: "1000", DATAHUB_REQUEST_TIMEOUT_MS: "1000" }).clientTimeouts).toMatchObject({ headersMs: 1000, requestMs: 1000 });
    expect(() => loadConfig({ DATAHUB_HEADERS_TIMEOUT_MS: "2000", DATAHUB_REQUEST_TIMEOUT_MS: "1000" })).toThrow(
      new ConfigError("invalid DATAHUB_HEADERS_TIMEOUT_MS/DATAHUB_REQUEST_TIMEOUT_MS: the headers timeout (2000) must not exceed the request timeout (1000)"),
    );
  });
});
