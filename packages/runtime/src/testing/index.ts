/**
 * Helpers for tests that run against the real PostgreSQL and Redis on 127.0.0.1.
 * Every test run gets its own database and Redis key prefix and removes them afterwards.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import pg from "pg";
import { Metadata } from "@grpc/grpc-js";
import { loadConfig, type Config } from "../config";
import { createLogger, type Logger } from "../logger";
import { localPgBaseUrl } from "./local-pg";

/**
 * Base URL of the test PostgreSQL server: TEST_PG_URL, else the server and credentials of
 * `.datahub.env`'s DATABASE_URL, else postgres://postgres@127.0.0.1:5432 (see ./local-pg).
 */
export const TEST_PG_URL = localPgBaseUrl("TEST_PG_URL");
/** URL of the test Redis (override with TEST_REDIS_URL). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * The internal gRPC token of every test process (and of the child processes a test spawns, via
 * {@link testEnv}); random per test run, like a real deployment's.
 */
export const TEST_INTERNAL_TOKEN = `test-${randomBytes(24).toString("base64url")}`;

/** What test clients present to the services' gRPC ports: the internal token. */
export const TEST_CREDENTIALS = Object.freeze({ bearer: TEST_INTERNAL_TOKEN });

/** Call metadata carrying the test internal token, for plain grpc-js clients built from the .proto files. */
export function testMetadata(): Metadata {
  const md = new Metadata();
  md.set("authorization", `Bearer ${TEST_INTERNAL_TOKEN}`);
  return md;
}

/** A random lowercase suffix for names of databases and key prefixes. */
export function uniqueSuffix(): string {
  return randomBytes(5).toString("hex");
}

/** Creates an empty database `datahub_test_<suffix>`; `drop()` removes it (terminating its connections). */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `datahub_test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: `${TEST_PG_URL}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${TEST_PG_URL}/${name}`,
    name,
    async drop() {
      const c = new pg.Client({ connectionString: `${TEST_PG_URL}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Lowest port the kernel hands out to outgoing connections (Linux default 32768). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}
const EPHEMERAL_LOW = ephemeralLow();
/** Ports this process has handed out already. */
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1, chosen below the kernel's ephemeral range: a port from that range
 * (what `listen(0)` returns) can be taken by any outgoing connection — a Redis or PostgreSQL client
 * of the same test — between this check and the server's bind, which failed suites with EADDRINUSE.
 * Ports below it are only ever taken by an explicit bind, so the remaining race is with another
 * test picking the same random port, which the check here makes rare.
 */
export async function freePort(): Promise<number> {
  const low = Math.max(10_000, EPHEMERAL_LOW - 12_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (EPHEMERAL_LOW - low));
    // Not bound yet is not enough: testEnv asks for three ports before anything binds them.
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found in ${low}-${EPHEMERAL_LOW - 1}`);
}

/** An empty datahub.yaml: test processes never pick up the working directory's file. */
export const NO_ROUTES_FILE = new URL("./no-routes.yaml", import.meta.url).pathname;

/** Environment for a test process: its own ports, database, Redis prefix, short timings and no routes file of the developer's. */
export async function testEnv(opts: { databaseUrl: string; redisPrefix: string; extra?: Record<string, string> }): Promise<Record<string, string>> {
  return {
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    DATAHUB_REDIS_PREFIX: opts.redisPrefix,
    DATAHUB_BIND_HOST: "127.0.0.1",
    DATAHUB_EDGE_PORT: String(await freePort()),
    DATAHUB_GRPC_PORT: String(await freePort()),
    DATAHUB_METRICS_PORT: String(await freePort()),
    DATAHUB_SHUTDOWN_DELAY_MS: "0",
    DATAHUB_SHUTDOWN_TIMEOUT_MS: "3000",
    DATAHUB_AUDIT_FLUSH_MS: "20",
    DATAHUB_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    DATAHUB_CONFIG: NO_ROUTES_FILE,
    ...opts.extra,
  };
}

/** Loads a Config from a test environment (never from the real process environment). */
export function testConfig(env: Record<string, string>): Config {
  return loadConfig(env);
}

/** A logger whose JSON lines are kept in memory, so tests can assert on (and grep) them. */
export function captureLogger(level = "debug"): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      cb();
    },
  });
  return { logger: createLogger({ level, destination: stream }), lines, text: () => lines.join("\n") };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
export * from "./otlp-receiver";
export { localPgBaseUrl, pgServerUrl, DEFAULT_PG_BASE_URL } from "./local-pg";
