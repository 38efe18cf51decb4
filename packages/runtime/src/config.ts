import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { z } from "zod";
import { isWellFormedApiKey } from "./api-key";

/** Every service this codebase can run; `DATAHUB_TARGET` picks a subset. */
export const SERVICE_NAMES = ["edge", "auth", "ratelimit", "audit", "webhooks"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Thrown when the environment is invalid; `message` is one line naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const port = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((v, ctx) => {
      const n = Number(v);
      if (!/^\d+$/.test(v.trim()) || n > 65535) {
        ctx.addIssue({ code: "custom", message: `expected a port number from 0 to 65535, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const int = (fallback: number, min = 0) =>
  z
    .string()
    .default(String(fallback))
    .transform((v, ctx) => {
      const n = Number(v);
      if (!/^\d+$/.test(v.trim()) || n < min) {
        ctx.addIssue({ code: "custom", message: `expected an integer >= ${min}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const bool = (fallback: boolean) =>
  z
    .string()
    .default(String(fallback))
    .transform((v, ctx) => {
      const s = v.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(s)) return true;
      if (["0", "false", "no", "off", ""].includes(s)) return false;
      ctx.addIssue({ code: "custom", message: `expected true or false, got "${v}"` });
      return z.NEVER;
    });

/** A URL with one of the given protocols; the value itself is never echoed (it may hold a password). */
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => p + "//").join(" or ")}` },
  );

/** One Redis URL, or a comma list of them (Redis Cluster seed nodes). */
const redisUrls = z
  .string()
  .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(url(["redis:", "rediss:"])).min(1, { message: "expected at least one redis:// URL" }));

/** Parses `5s`, `250ms`, `5m`, `2h`, `1d` (or a bare number of ms) into milliseconds; undefined when malformed. */
export function parseDurationMs(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "ms") as "ms"];
  return Math.round(Number(m[1]) * unit);
}

/** A comma list of durations (the webhook retry schedule). */
const durationList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const parts = v.split(",").map((s) => s.trim()).filter(Boolean);
      const ms = parts.map(parseDurationMs);
      if (parts.length === 0 || ms.some((x) => x === undefined)) {
        ctx.addIssue({ code: "custom", message: `expected a comma list of durations such as "5s,5m,30m", got "${v}"` });
        return z.NEVER;
      }
      return ms as number[];
    });

/** A comma list of CIDRs (`127.0.0.0/8,::1/128`); checked with node:net so the runtime needs no IP library. */
const cidrList = z.string().refine(
  (v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .every((c) => {
        const [addr, bits, extra] = c.split("/");
        const family = isIP(addr ?? "");
        if (!family || extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
        return Number(bits) <= (family === 4 ? 32 : 128);
      }),
  { message: "expected a comma list of CIDRs such as 127.0.0.0/8,::1/128" },
);

/**
 * `DATAHUB_INTERNAL_TOKEN`: one value, or two comma-separated during a rotation (the first is the
 * one this process presents). Long random strings of visible ASCII; a value is never echoed.
 */
const internalTokens = z
  .string()
  .transform((v) => v.split(",").map((s) => s.trim()))
  .refine((list) => list.length >= 1 && list.length <= 2, { message: "expected one value, or two comma-separated during a rotation" })
  .refine((list) => list.every((t) => /^[\x21-\x7e]{32,512}$/.test(t)), {
    message: "expected 32 to 512 visible ASCII characters per value (e.g. `openssl rand -base64 48`)",
  })
  .refine((list) => list.every((t) => !isWellFormedApiKey(t)), { message: "an API key cannot be the internal token" });

const address = z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: "expected host:port" });

const targets = z
  .string()
  .default("all")
  .transform((v, ctx) => {
    const parts = v.split(",").map((s) => s.trim()).filter(Boolean);
    if (parts.length === 1 && parts[0] === "all") return [...SERVICE_NAMES];
    const unknown = parts.filter((p) => !(SERVICE_NAMES as readonly string[]).includes(p));
    if (parts.length === 0 || unknown.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `unknown target "${unknown.join(",") || v}"; expected "all" or a comma list of ${SERVICE_NAMES.join(", ")}`,
      });
      return z.NEVER;
    }
    return [...new Set(parts)] as ServiceName[];
  });

/** Paths the edge answers itself; the console may not take them. */
const RESERVED_PATHS = ["/v1", "/healthz", "/readyz"];

/** `DATAHUB_CONSOLE_PATH`: one or more lowercase segments, no trailing slash, not a reserved path. */
const consolePath = z.string().transform((v, ctx) => {
  const p = v.trim();
  if (!/^(\/[a-z0-9][a-z0-9._-]*)+$/.test(p)) {
    ctx.addIssue({ code: "custom", message: `expected a path such as /console (lowercase segments, no trailing slash), got "${v}"` });
    return z.NEVER;
  }
  if (RESERVED_PATHS.some((r) => p === r || p.startsWith(r + "/"))) {
    ctx.addIssue({ code: "custom", message: `${p} is answered by the edge itself; pick another path` });
    return z.NEVER;
  }
  return p;
});

const envSchema = z.object({
  DATABASE_URL: url(["postgres:", "postgresql:"]).default("postgres://postgres@127.0.0.1:5432/datahub"),
  AUTH_DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  AUDIT_DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  WEBHOOKS_DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  // Session-level work (migrations, advisory locks) cannot go through a transaction-mode pooler.
  DATABASE_DIRECT_URL: url(["postgres:", "postgresql:"]).optional(),
  AUTH_DATABASE_DIRECT_URL: url(["postgres:", "postgresql:"]).optional(),
  AUDIT_DATABASE_DIRECT_URL: url(["postgres:", "postgresql:"]).optional(),
  WEBHOOKS_DATABASE_DIRECT_URL: url(["postgres:", "postgresql:"]).optional(),
  AUDIT_READ_DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  REDIS_URL: redisUrls.default(["redis://127.0.0.1:6379"]),
  RATELIMIT_REDIS_URL: redisUrls.optional(),
  WEBHOOKS_REDIS_URL: redisUrls.optional(),
  REDIS_CLUSTER: bool(false),
  DATAHUB_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: "expected 1-64 of [A-Za-z0-9_.:-]" }).default("datahub"),
  DATAHUB_TARGET: targets,
  DATAHUB_BIND_HOST: z.string().min(1).default("0.0.0.0"),
  DATAHUB_GRPC_BIND_HOST: z.string().min(1).default("127.0.0.1"),
  DATAHUB_INTERNAL_TOKEN: internalTokens.optional(),
  DATAHUB_GRPC_TLS_CERT: z.string().min(1).optional(),
  DATAHUB_GRPC_TLS_KEY: z.string().min(1).optional(),
  DATAHUB_GRPC_TLS_CA: z.string().min(1).optional(),
  DATAHUB_EDGE_PORT: port(8080),
  DATAHUB_GRPC_PORT: port(50051),
  DATAHUB_METRICS_PORT: port(9464),
  DATAHUB_AUTH_ADDR: address.optional(),
  DATAHUB_RATELIMIT_ADDR: address.optional(),
  DATAHUB_AUDIT_ADDR: address.optional(),
  DATAHUB_WEBHOOKS_ADDR: address.optional(),
  DATAHUB_ROOT_KEY: z
    .string()
    .refine((k) => k.startsWith("dhr_") && isWellFormedApiKey(k), {
      message: "expected a root key: dhr_ + 38 base62 characters with a valid checksum (see `datahub keys generate-root`)",
    })
    .optional(),
  DATAHUB_CONFIG: z
    .string()
    .optional()
    .transform((v, ctx) => {
      // The default file may appear later: the edge watches for it, so absence is not an error.
      if (v === undefined || v === "") return "datahub.yaml";
      if (!existsSync(v)) {
        ctx.addIssue({ code: "custom", message: `file not found: ${v}` });
        return z.NEVER;
      }
      return v;
    }),
  DATAHUB_TLS_CERT: z.string().optional(),
  DATAHUB_TLS_KEY: z.string().optional(),
  DATAHUB_WEBHOOKS_ALLOW_CIDRS: cidrList.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Tunables: documented in README's configuration table; tests shorten them.
  DATAHUB_SHUTDOWN_DELAY_MS: int(3000),
  DATAHUB_SHUTDOWN_TIMEOUT_MS: int(20000),
  DATAHUB_AUTH_CACHE_TTL_MS: int(30000),
  DATAHUB_AUTH_STALE_TTL_MS: int(300000),
  DATAHUB_AUTH_NEGATIVE_TTL_MS: int(2000),
  DATAHUB_AUTH_CACHE_SIZE: int(100000, 1),
  DATAHUB_AUDIT_FLUSH_MS: int(100, 1),
  DATAHUB_AUDIT_BATCH_SIZE: int(1000, 1),
  DATAHUB_AUDIT_BUFFER_SIZE: int(100000, 1),
  DATAHUB_AUDIT_RETENTION_DAYS: int(30, 1),
  DATAHUB_AUDIT_PARTITIONS_AHEAD: int(3, 1),
  DATAHUB_RPC_TIMEOUT_MS: int(2000, 1),
  DATAHUB_RATELIMIT_MAX_LOG_LIMIT: int(10000, 1),
  DATAHUB_RATELIMIT_REDIS_TIMEOUT_MS: int(50, 1),
  DATAHUB_RATELIMIT_DEFAULT_ALGORITHM: z.enum(["sliding-log", "gcra", "sliding-window", "fixed-window"]).default("sliding-log"),
  DATAHUB_RATELIMIT_FAILURE_MODE: z.enum(["open", "closed", "local"]).default("open"),
  DATAHUB_RATELIMIT_INSTANCES: int(1, 1),
  DATAHUB_RATELIMIT_BREAKER_MS: int(500, 1),
  DATAHUB_RATELIMIT_RPC_TIMEOUT_MS: int(500, 1),
  DATAHUB_RATELIMIT_STRICT_ANONYMOUS: bool(false),
  DATAHUB_MAX_BODY_BYTES: int(1048576, 1),
  DATAHUB_MAX_HEADER_BYTES: int(16384, 1024),
  DATAHUB_HEADERS_TIMEOUT_MS: int(10000, 1),
  DATAHUB_REQUEST_TIMEOUT_MS: int(60000, 1),
  DATAHUB_KEEPALIVE_TIMEOUT_MS: int(65000, 1),
  DATAHUB_MAX_EVENT_BYTES: int(262144, 1),
  DATAHUB_AUTH_EVENTS_INTERVAL_MS: int(1000, 1),
  DATAHUB_AUTH_EVENTS_MAX_BACKOFF_MS: int(60000, 1),
  DATAHUB_CORS_ORIGINS: z.string().optional(),
  DATAHUB_CONSOLE: bool(true),
  DATAHUB_CONSOLE_PATH: consolePath.default("/console"),
  DATAHUB_CONSOLE_DIR: z.string().optional(),
  DATAHUB_CONSOLE_SESSION_TTL_MS: int(28_800_000, 1000),
  DATAHUB_CONSOLE_SECURE_COOKIE: bool(false),
  DATAHUB_TRUSTED_PROXIES: cidrList.optional(),
  DATAHUB_SERVICES_THREAD: bool(true),
  DATAHUB_WEBHOOKS_CONCURRENCY: int(100, 1),
  DATAHUB_WEBHOOKS_TIMEOUT_MS: int(15000, 1),
  DATAHUB_WEBHOOKS_RETRY_SCHEDULE: durationList("5s,5m,30m,2h,5h,10h,10h"),
  DATAHUB_WEBHOOKS_RETRY_AFTER_MAX_MS: int(3600000, 0),
  DATAHUB_WEBHOOKS_DISABLE_AFTER_MS: int(432000000, 1),
  DATAHUB_WEBHOOKS_SWEEP_MS: int(5000, 1),
  DATAHUB_WEBHOOKS_SWEEP_OVERDUE_MS: int(60000, 0),
  DATAHUB_WEBHOOKS_RETENTION_DAYS: int(30, 1),
  DATAHUB_WEBHOOKS_MAX_PAYLOAD_BYTES: int(262144, 1),
  DATAHUB_WEBHOOKS_DEFAULT_RATE_PER_SECOND: int(0, 0),
  DATAHUB_WEBHOOKS_MAX_RATE_PER_SECOND: int(10000, 1),
});

/** Validated configuration of one process. */
export interface Config {
  targets: ServiceName[];
  /** Where the public listeners bind: the edge and the ops port (`DATAHUB_BIND_HOST`). */
  bindHost: string;
  /** Where the internal gRPC port binds (`DATAHUB_GRPC_BIND_HOST`, loopback by default). */
  grpcBindHost: string;
  /**
   * The internal credential (docs/security.md, "Internal gRPC"): `tokens[0]` is presented on every
   * internal call, and every value is accepted. `generated` when `all` mode made one up at start.
   */
  internal: { tokens: string[]; generated: boolean };
  /** TLS of the gRPC port and of internal clients; unset means plaintext (loopback or a mesh). */
  grpcTls?: GrpcTlsConfig;
  ports: { edge: number; grpc: number; metrics: number };
  addresses: Record<Exclude<ServiceName, "edge">, string>;
  /** What each service's queries use: the database, or a transaction-mode pooler in front of it. */
  databaseUrls: { auth: string; audit: string; webhooks: string };
  /**
   * Connections that need a session of their own (migrations and their advisory lock, the audit
   * partition maintenance): `<SERVICE>_DATABASE_DIRECT_URL`, else `DATABASE_DIRECT_URL`, else the
   * service's database URL (right when that is not a transaction-mode pooler).
   */
  databaseDirectUrls: { auth: string; audit: string; webhooks: string };
  /** Where the audit service's log and usage queries go (a streaming replica); unset: its database URL. */
  auditReadDatabaseUrl?: string;
  redis: { ratelimit: string[]; webhooks: string[]; shared: string[]; cluster: boolean; prefix: string };
  rootKey?: string;
  /** datahub.yaml path; the default `datahub.yaml` may not exist (yet): the edge watches for it. */
  configPath?: string;
  tls?: { cert: string; key: string };
  webhooksAllowCidrs: string[];
  logLevel: string;
  corsOrigins: string[];
  /**
   * Edge: the admin console (docs/console.md). `dir` overrides where its built files are read
   * from; `secureCookie` marks the session cookie Secure without edge TLS (TLS ended by a proxy).
   */
  console: { enabled: boolean; path: string; dir?: string; sessionTtlMs: number; secureCookie: boolean };
  /** Edge: CIDRs of proxies whose X-Forwarded-For / Forwarded name the client (docs/security.md). */
  trustedProxies: string[];
  shutdown: { delayMs: number; timeoutMs: number };
  authCache: { ttlMs: number; staleTtlMs: number; negativeTtlMs: number; size: number };
  audit: { flushMs: number; batchSize: number; bufferSize: number; retentionDays: number; partitionsAhead: number };
  rpcTimeoutMs: number;
  ratelimit: {
    maxLogLimit: number;
    redisTimeoutMs: number;
    /** What a descriptor without an algorithm gets (the service applies it). */
    defaultAlgorithm: "sliding-log" | "gcra" | "sliding-window" | "fixed-window";
    /** Edge: what a policy without its own `failureMode` does when the limiter cannot answer. */
    failureMode: "open" | "closed" | "local";
    /** Edge instances sharing the limits: the `local` fallback admits limit / instances per instance. */
    instances: number;
    /** Edge: after a failed check, how long to skip the service and apply the failure mode at once. */
    breakerMs: number;
    /** Edge: deadline of one CheckBatch RPC. */
    rpcTimeoutMs: number;
    /** Edge: an IP over its anonymous limit gets 429 for keys the edge has not verified yet. */
    strictAnonymous: boolean;
  };
  /** The auth service's system-event relay: poll interval (= first retry delay) and retry cap. */
  authEvents: { intervalMs: number; maxBackoffMs: number };
  /** `maxEventBytes`: body limit of `POST /v1/events` (413 above it). */
  limits: { maxBodyBytes: number; maxHeaderBytes: number; maxEventBytes: number };
  /**
   * Edge: how long a client may take to send its headers, its whole request (headers and body),
   * and how long an idle keep-alive connection stays open (README, configuration table).
   */
  clientTimeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
  /** When the edge and other services share a process, run the others on a worker thread. */
  servicesThread: boolean;
  webhooks: WebhooksConfig;
}

/** File paths of the internal gRPC TLS material (`DATAHUB_GRPC_TLS_*`). */
export interface GrpcTlsConfig {
  /** This process's certificate chain: served on the gRPC port, and presented to servers that ask for one. */
  cert?: string;
  key?: string;
  /** CA bundle: clients verify servers with it; when set, the server also requires client certificates signed by it. */
  ca?: string;
}

/** Tunables of the webhooks service (README, configuration table). */
export interface WebhooksConfig {
  /** Deliveries in flight per process. */
  concurrency: number;
  /** Timeout of one delivery request (connect + headers + body). */
  timeoutMs: number;
  /** Delays before attempts 2, 3, …; its length + 1 is the number of attempts. */
  retryScheduleMs: number[];
  /** Upper bound on a receiver's `Retry-After`. */
  retryAfterMaxMs: number;
  /** An endpoint failing continuously this long is disabled (`failing`). */
  disableAfterMs: number;
  /** How often the outbox sweeper looks for due deliveries that are not queued. */
  sweepMs: number;
  /** A pending delivery this far past its due time is re-enqueued even if it was queued (lost Redis). */
  sweepOverdueMs: number;
  /** Events older than this whose deliveries are all finished are deleted, with their deliveries and attempts. */
  retentionMs: number;
  /** Largest accepted event `data`, as JSON bytes. */
  maxPayloadBytes: number;
  /** Deliveries per second per endpoint when the endpoint sets 0; 0 means unlimited. */
  defaultRatePerSecond: number;
  /** Largest `rate_limit_per_second` an endpoint may set. */
  maxRatePerSecond: number;
}

/** The database name of a postgres URL (its path without the slash). */
function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/**
 * A service's direct (session) URL: its own `<S>_DATABASE_DIRECT_URL`, else `DATABASE_DIRECT_URL`,
 * else the URL its queries use. Inheriting `DATABASE_DIRECT_URL` while the service has a database
 * URL of its own would migrate another database than the one it queries: refused, naming the fix.
 */
function directUrl(service: string, own: string | undefined, serviceUrl: string | undefined, shared: string | undefined, fallback: string): string {
  if (own) return own;
  if (shared && serviceUrl && databaseName(shared) !== databaseName(serviceUrl)) {
    throw new ConfigError(
      `invalid ${service}_DATABASE_DIRECT_URL: ${service}_DATABASE_URL names database "${databaseName(serviceUrl)}" but DATABASE_DIRECT_URL names "${databaseName(shared)}"; set ${service}_DATABASE_DIRECT_URL`,
    );
  }
  return shared ?? serviceUrl ?? fallback;
}

/**
 * Reads and validates the process environment (docs/reference/configuration.md).
 * @throws ConfigError with a single line naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined) picked[key] = value;
  }
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    throw new ConfigError(`invalid ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  if (Boolean(e.DATAHUB_TLS_CERT) !== Boolean(e.DATAHUB_TLS_KEY)) {
    throw new ConfigError("invalid DATAHUB_TLS_CERT/DATAHUB_TLS_KEY: set both or neither");
  }
  if (Boolean(e.DATAHUB_GRPC_TLS_CERT) !== Boolean(e.DATAHUB_GRPC_TLS_KEY)) {
    throw new ConfigError("invalid DATAHUB_GRPC_TLS_CERT/DATAHUB_GRPC_TLS_KEY: set both or neither");
  }
  for (const name of ["DATAHUB_GRPC_TLS_CERT", "DATAHUB_GRPC_TLS_KEY", "DATAHUB_GRPC_TLS_CA"] as const) {
    const file = e[name];
    if (file !== undefined && !existsSync(file)) throw new ConfigError(`invalid ${name}: file not found: ${file}`);
  }
  const runsEverything = SERVICE_NAMES.every((s) => e.DATAHUB_TARGET.includes(s));
  if (e.DATAHUB_INTERNAL_TOKEN === undefined && !runsEverything) {
    throw new ConfigError(
      "missing DATAHUB_INTERNAL_TOKEN: a process that runs only some of the services must share the internal token with the others (docs/security.md)",
    );
  }
  // The headers are part of the request: node:http refuses a server configured the other way round.
  if (e.DATAHUB_HEADERS_TIMEOUT_MS > e.DATAHUB_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `invalid DATAHUB_HEADERS_TIMEOUT_MS/DATAHUB_REQUEST_TIMEOUT_MS: the headers timeout (${e.DATAHUB_HEADERS_TIMEOUT_MS}) must not exceed the request timeout (${e.DATAHUB_REQUEST_TIMEOUT_MS})`,
    );
  }
  const databaseDirectUrls = {
    auth: directUrl("AUTH", e.AUTH_DATABASE_DIRECT_URL, e.AUTH_DATABASE_URL, e.DATABASE_DIRECT_URL, e.DATABASE_URL),
    audit: directUrl("AUDIT", e.AUDIT_DATABASE_DIRECT_URL, e.AUDIT_DATABASE_URL, e.DATABASE_DIRECT_URL, e.DATABASE_URL),
    webhooks: directUrl("WEBHOOKS", e.WEBHOOKS_DATABASE_DIRECT_URL, e.WEBHOOKS_DATABASE_URL, e.DATABASE_DIRECT_URL, e.DATABASE_URL),
  };
  const local = `127.0.0.1:${e.DATAHUB_GRPC_PORT}`;
  const grpcTls = e.DATAHUB_GRPC_TLS_CERT || e.DATAHUB_GRPC_TLS_CA ? { cert: e.DATAHUB_GRPC_TLS_CERT, key: e.DATAHUB_GRPC_TLS_KEY, ca: e.DATAHUB_GRPC_TLS_CA } : undefined;
  return {
    targets: e.DATAHUB_TARGET,
    bindHost: e.DATAHUB_BIND_HOST,
    grpcBindHost: e.DATAHUB_GRPC_BIND_HOST,
    // In `all` mode every caller lives in this process (or its services thread, which gets this
    // config), so a random token nobody else knows is the right default.
    internal: e.DATAHUB_INTERNAL_TOKEN
      ? { tokens: e.DATAHUB_INTERNAL_TOKEN, generated: false }
      : { tokens: [randomBytes(32).toString("base64url")], generated: true },
    grpcTls,
    ports: { edge: e.DATAHUB_EDGE_PORT, grpc: e.DATAHUB_GRPC_PORT, metrics: e.DATAHUB_METRICS_PORT },
    addresses: {
      auth: e.DATAHUB_AUTH_ADDR ?? local,
      ratelimit: e.DATAHUB_RATELIMIT_ADDR ?? local,
      audit: e.DATAHUB_AUDIT_ADDR ?? local,
      webhooks: e.DATAHUB_WEBHOOKS_ADDR ?? local,
    },
    databaseUrls: {
      auth: e.AUTH_DATABASE_URL ?? e.DATABASE_URL,
      audit: e.AUDIT_DATABASE_URL ?? e.DATABASE_URL,
      webhooks: e.WEBHOOKS_DATABASE_URL ?? e.DATABASE_URL,
    },
    databaseDirectUrls,
    auditReadDatabaseUrl: e.AUDIT_READ_DATABASE_URL,
    redis: {
      shared: e.REDIS_URL,
      ratelimit: e.RATELIMIT_REDIS_URL ?? e.REDIS_URL,
      webhooks: e.WEBHOOKS_REDIS_URL ?? e.REDIS_URL,
      cluster: e.REDIS_CLUSTER || e.REDIS_URL.length > 1,
      prefix: e.DATAHUB_REDIS_PREFIX,
    },
    rootKey: e.DATAHUB_ROOT_KEY,
    configPath: e.DATAHUB_CONFIG,
    tls: e.DATAHUB_TLS_CERT && e.DATAHUB_TLS_KEY ? { cert: e.DATAHUB_TLS_CERT, key: e.DATAHUB_TLS_KEY } : undefined,
    webhooksAllowCidrs: (e.DATAHUB_WEBHOOKS_ALLOW_CIDRS ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    logLevel: e.LOG_LEVEL,
    corsOrigins: (e.DATAHUB_CORS_ORIGINS ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    console: {
      enabled: e.DATAHUB_CONSOLE,
      path: e.DATAHUB_CONSOLE_PATH,
      dir: e.DATAHUB_CONSOLE_DIR,
      sessionTtlMs: e.DATAHUB_CONSOLE_SESSION_TTL_MS,
      secureCookie: e.DATAHUB_CONSOLE_SECURE_COOKIE,
    },
    trustedProxies: (e.DATAHUB_TRUSTED_PROXIES ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    shutdown: { delayMs: e.DATAHUB_SHUTDOWN_DELAY_MS, timeoutMs: e.DATAHUB_SHUTDOWN_TIMEOUT_MS },
    authCache: {
      ttlMs: e.DATAHUB_AUTH_CACHE_TTL_MS,
      staleTtlMs: e.DATAHUB_AUTH_STALE_TTL_MS,
      negativeTtlMs: e.DATAHUB_AUTH_NEGATIVE_TTL_MS,
      size: e.DATAHUB_AUTH_CACHE_SIZE,
    },
    audit: {
      flushMs: e.DATAHUB_AUDIT_FLUSH_MS,
      batchSize: e.DATAHUB_AUDIT_BATCH_SIZE,
      bufferSize: e.DATAHUB_AUDIT_BUFFER_SIZE,
      retentionDays: e.DATAHUB_AUDIT_RETENTION_DAYS,
      partitionsAhead: e.DATAHUB_AUDIT_PARTITIONS_AHEAD,
    },
    rpcTimeoutMs: e.DATAHUB_RPC_TIMEOUT_MS,
    ratelimit: {
      maxLogLimit: e.DATAHUB_RATELIMIT_MAX_LOG_LIMIT,
      redisTimeoutMs: e.DATAHUB_RATELIMIT_REDIS_TIMEOUT_MS,
      defaultAlgorithm: e.DATAHUB_RATELIMIT_DEFAULT_ALGORITHM,
      failureMode: e.DATAHUB_RATELIMIT_FAILURE_MODE,
      instances: e.DATAHUB_RATELIMIT_INSTANCES,
      breakerMs: e.DATAHUB_RATELIMIT_BREAKER_MS,
      rpcTimeoutMs: e.DATAHUB_RATELIMIT_RPC_TIMEOUT_MS,
      strictAnonymous: e.DATAHUB_RATELIMIT_STRICT_ANONYMOUS,
    },
    authEvents: { intervalMs: e.DATAHUB_AUTH_EVENTS_INTERVAL_MS, maxBackoffMs: e.DATAHUB_AUTH_EVENTS_MAX_BACKOFF_MS },
    limits: { maxBodyBytes: e.DATAHUB_MAX_BODY_BYTES, maxHeaderBytes: e.DATAHUB_MAX_HEADER_BYTES, maxEventBytes: e.DATAHUB_MAX_EVENT_BYTES },
    clientTimeouts: { headersMs: e.DATAHUB_HEADERS_TIMEOUT_MS, requestMs: e.DATAHUB_REQUEST_TIMEOUT_MS, keepAliveMs: e.DATAHUB_KEEPALIVE_TIMEOUT_MS },
    servicesThread: e.DATAHUB_SERVICES_THREAD,
    webhooks: {
      concurrency: e.DATAHUB_WEBHOOKS_CONCURRENCY,
      timeoutMs: e.DATAHUB_WEBHOOKS_TIMEOUT_MS,
      retryScheduleMs: e.DATAHUB_WEBHOOKS_RETRY_SCHEDULE,
      retryAfterMaxMs: e.DATAHUB_WEBHOOKS_RETRY_AFTER_MAX_MS,
      disableAfterMs: e.DATAHUB_WEBHOOKS_DISABLE_AFTER_MS,
      sweepMs: e.DATAHUB_WEBHOOKS_SWEEP_MS,
      sweepOverdueMs: e.DATAHUB_WEBHOOKS_SWEEP_OVERDUE_MS,
      retentionMs: e.DATAHUB_WEBHOOKS_RETENTION_DAYS * 86_400_000,
      maxPayloadBytes: e.DATAHUB_WEBHOOKS_MAX_PAYLOAD_BYTES,
      defaultRatePerSecond: e.DATAHUB_WEBHOOKS_DEFAULT_RATE_PER_SECOND,
      maxRatePerSecond: e.DATAHUB_WEBHOOKS_MAX_RATE_PER_SECOND,
    },
  };
}
