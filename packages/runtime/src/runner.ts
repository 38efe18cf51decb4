import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { auth } from "@datahub/proto";
import type { Registry } from "prom-client";
import type { Config } from "./config";
import { createLogger, type Logger } from "./logger";
import { createMetricsRegistry, type MetricsSource } from "./metrics";
import { Health, withTimeout } from "./health";
import { startOpsServer } from "./ops-server";
import { GrpcHost } from "./grpc/server";
import { createRpcClient, type RpcClient } from "./grpc/client";
import { currentTelemetry } from "./telemetry/sdk";
import { registerDependencyMetrics } from "./dependency-metrics";
import { internalCredentials, serverCredentials } from "./grpc/credentials";
import { LazyKeyVerifier } from "./keys/key-verifier";

/** What every module gets when it starts. */
export interface ModuleContext {
  config: Config;
  logger: Logger;
  registry: Registry;
  health: Health;
  /** The process's gRPC server; only present for modules that require `grpc`. */
  grpc: GrpcHost;
  /** Creates a gRPC client that the runner closes on shutdown. */
  client<T extends GenServiceMethods>(service: GenService<T>, address: string): RpcClient<T>;
}

/** A started module. */
export interface RunningModule {
  /** Releases what the module holds: drain servers, flush buffers, close pools. */
  stop?(): Promise<void>;
  /** Re-reads configuration (SIGHUP). */
  reload?(): Promise<void>;
  /** Facts for the caller, e.g. `{ port }`. */
  info?: Record<string, unknown>;
}

/**
 * A unit the runner starts (Grafana Mimir's modules): every service is one, and so are the shared
 * `ops` (metrics/health HTTP) and `grpc` (the gRPC server) modules.
 */
export interface DatahubModule {
  name: string;
  /** Modules always started before this one, pulled in even when not targeted. */
  requires?: string[];
  /** Modules that start before this one (and stop after it) only when they run in this process. */
  after?: string[];
  start(ctx: ModuleContext): Promise<RunningModule | void>;
}

/** A running set of modules. */
export interface Runner {
  config: Config;
  logger: Logger;
  registry: Registry;
  health: Health;
  grpc: GrpcHost;
  /** Running modules by name. */
  modules: Map<string, RunningModule>;
  ports: { grpc: number; metrics: number };
  /** Graceful shutdown: not ready, wait `shutdown.delayMs`, drain, flush, close. Idempotent. */
  stop(): Promise<void>;
  /** SIGHUP: asks every module to reload its configuration. */
  reload(): Promise<void>;
}

/** Options for {@link startRunner}. */
export interface RunnerOptions {
  config: Config;
  modules: DatahubModule[];
  logger?: Logger;
  /**
   * False inside a worker thread whose parent serves the process's `/metrics` and health: no ops
   * HTTP server and no default process metrics (the parent reports those once).
   */
  serveOps?: boolean;
  /** Extra metrics merged into this runner's `/metrics` (a services thread's registry). */
  metricsSources?: MetricsSource[];
}

const builtins = (host: GrpcHost, opsPorts: { metrics: number; grpc: number }, opts: RunnerOptions): DatahubModule[] => [
  {
    name: "ops",
    async start(ctx) {
      if (opts.serveOps === false) return {};
      const ops = await startOpsServer({
        host: ctx.config.bindHost,
        port: ctx.config.ports.metrics,
        registry: ctx.registry,
        health: ctx.health,
        metricsSources: opts.metricsSources,
      });
      opsPorts.metrics = ops.port;
      return { stop: ops.close, info: { port: ops.port } };
    },
  },
  {
    name: "grpc",
    requires: ["ops"],
    async start(ctx) {
      const { config } = ctx;
      const port = await host.listen(config.grpcBindHost, config.ports.grpc);
      opsPorts.grpc = port;
      // The token itself is never logged; only whether it was made up for this process.
      ctx.logger.info({ host: config.grpcBindHost, port, tls: config.grpcTls?.cert !== undefined, internalToken: config.internal.generated ? "generated" : "configured" }, "grpc server listening");
      return { stop: () => host.shutdown(config.shutdown.timeoutMs), info: { port } };
    },
  },
];

/** How often the readiness checks are re-run to update the gRPC health status. */
const HEALTH_WATCH_MS = 2_000;

/** Orders the targeted modules and everything they require so each starts after its dependencies. */
export function planModules(targets: string[], available: DatahubModule[]): DatahubModule[] {
  const byName = new Map(available.map((m) => [m.name, m]));
  const wanted = new Set<string>();
  const want = (name: string) => {
    if (wanted.has(name)) return;
    const m = byName.get(name);
    if (!m) throw new Error(`unknown module "${name}"`);
    wanted.add(name);
    m.requires?.forEach(want);
  };
  targets.forEach(want);
  const order: DatahubModule[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    const m = byName.get(name)!;
    if (order.includes(m)) return;
    if (visiting.has(name)) throw new Error(`module dependency cycle at "${name}"`);
    visiting.add(name);
    for (const dep of [...(m.requires ?? []), ...(m.after ?? [])]) if (wanted.has(dep)) visit(dep);
    visiting.delete(name);
    order.push(m);
  };
  [...wanted].forEach(visit);
  return order;
}

/**
 * Starts the modules named by `config.targets` (plus what they require) in dependency order.
 * If one fails to start, the ones already started are stopped and the error is rethrown.
 */
export async function startRunner(opts: RunnerOptions): Promise<Runner> {
  const { config } = opts;
  const logger = opts.logger ?? createLogger({ level: config.logLevel, base: { service: config.targets.join(",") } });
  const registry = createMetricsRegistry({ defaultMetrics: opts.serveOps !== false });
  registerDependencyMetrics(registry);
  const health = new Health();
  const credentials = internalCredentials(config);
  const clientOf = <T extends GenServiceMethods>(service: GenService<T>, address: string) =>
    createRpcClient(service, address, { timeoutMs: config.rpcTimeoutMs, registry, credentials });
  // API keys presented to the gRPC port are verified through auth, as the edge verifies them.
  const keyVerifier = new LazyKeyVerifier({ config, logger, authClient: () => clientOf(auth.AuthService, config.addresses.auth) });
  const grpc = new GrpcHost(logger, registry, {
    callers: { tokens: config.internal.tokens, verifyKey: keyVerifier.verify },
    credentials: serverCredentials(config),
  });
  const ports = { grpc: 0, metrics: 0 };
  const clients: Array<{ close(): void }> = [];
  const plan = planModules(config.targets, [...builtins(grpc, ports, opts), ...opts.modules]);
  const started: Array<{ module: DatahubModule; running: RunningModule }> = [];
  const modules = new Map<string, RunningModule>();
  health.onChange((serving) => grpc.setServing(serving));

  const ctx: ModuleContext = {
    config,
    logger,
    registry,
    health,
    grpc,
    client(service, address) {
      const c = clientOf(service, address);
      clients.push(c);
      return c;
    },
  };

  let stopping: Promise<void> | undefined;
  // A runner that failed to start was never ready: no load balancer needs the not-ready delay.
  let ready = false;
  const stop = () =>
    (stopping ??= (async () => {
      health.markDraining();
      const delayMs = ready ? config.shutdown.delayMs : 0;
      logger.info({ delayMs }, "shutting down: not ready, draining");
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      let grpcStopped = false;
      for (const { module, running } of [...started].reverse()) {
        // In-flight RPCs must finish before any service releases its pools.
        if (!grpcStopped && (module.requires?.includes("grpc") || module.name === "grpc")) {
          grpcStopped = true;
          await grpc.shutdown(config.shutdown.timeoutMs);
        }
        if (module.name === "grpc") continue;
        await withTimeout(running.stop?.() ?? Promise.resolve(), config.shutdown.timeoutMs).catch((err: Error) =>
          logger.error({ module: module.name, err: { message: err.message } }, "module did not stop cleanly"),
        );
      }
      clients.forEach((c) => c.close());
      await keyVerifier.close();
      // Queued spans of the last requests go out before the process exits.
      await withTimeout(currentTelemetry()?.shutdown() ?? Promise.resolve(), config.shutdown.timeoutMs).catch(() => undefined);
      logger.info("stopped");
      logger.flush?.();
    })());

  try {
    for (const module of plan) {
      const running = (await module.start(ctx)) ?? {};
      started.push({ module, running });
      modules.set(module.name, running);
      logger.debug({ module: module.name }, "module started");
    }
  } catch (err) {
    await stop();
    throw err;
  }
  ready = true;
  health.markStarted();
  health.watch(HEALTH_WATCH_MS);
  return {
    config,
    logger,
    registry,
    health,
    grpc,
    modules,
    ports,
    stop,
    reload: async () => {
      for (const { running } of started) await running.reload?.();
    },
  };
}

/** SIGTERM/SIGINT stop the runner gracefully and exit; a second signal exits at once. SIGHUP reloads. */
export function handleSignals(runner: Runner): void {
  let signalled = false;
  const onStop = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    runner.logger.info({ signal }, "signal received");
    runner.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", onStop);
  process.on("SIGINT", onStop);
  process.on("SIGHUP", () => {
    runner.reload().catch((err: Error) => runner.logger.error({ err: { message: err.message } }, "reload failed"));
  });
}
