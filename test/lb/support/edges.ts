/**
 * DataHub as a load balancer sees it, for the test/lb integration tests: one `datahub start`
 * process running auth, ratelimit, audit and webhooks, and several edge processes
 * (`DATAHUB_TARGET=edge`) sharing it, the test's own database and Redis prefix. Each edge keeps its
 * ports across restarts, as a container behind a balancer keeps its address.
 */
import { generateApiKey } from "@datahub/runtime";
import { createTestDatabase, freePort, testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import { spawnDatahub, type DatahubProcess } from "../../support/stack";
import { writeRoutes } from "../../../services/edge/test/support/edge-stack";

/** One edge process slot: fixed ports, restartable. */
export interface Edge {
  env: Record<string, string>;
  /** `127.0.0.1:<edge port>` */
  addr: string;
  /** The ops port (`/readyz`). */
  metricsPort: number;
  /** The running process (replaced by {@link restart}). */
  process: DatahubProcess;
  /** SIGTERM, wait for the exit; resolves with its exit code. */
  stop(): Promise<number | null>;
  /** Starts the edge again with the same environment; resolves once its /readyz answers 200. */
  start(): Promise<void>;
}

/** The running services and edges. */
export interface EdgeFleet {
  rootKey: string;
  edges: Edge[];
  stop(): Promise<void>;
}

/**
 * Starts the services process, then one edge per entry of `edgeEnv` (its extra environment, e.g.
 * DATAHUB_TRUSTED_PROXIES). `env` goes to every process; `routes` is the datahub.yaml content.
 */
export async function startFleet(opts: { routes: string; env?: Record<string, string>; edgeEnv: Array<Record<string, string>> }): Promise<EdgeFleet> {
  const db = await createTestDatabase();
  const rootKey = generateApiKey("dhr");
  const base = await testEnv({
    databaseUrl: db.url,
    redisPrefix: `dhlb${uniqueSuffix()}`,
    extra: { DATAHUB_ROOT_KEY: rootKey, DATAHUB_CONFIG: writeRoutes(opts.routes), ...opts.env },
  });
  const running: DatahubProcess[] = [];
  const edges: Edge[] = [];
  try {
    running.push(await spawnDatahub({ ...base, DATAHUB_TARGET: "auth,ratelimit,audit,webhooks", DATAHUB_EDGE_PORT: "0" }));
    const services = `127.0.0.1:${base.DATAHUB_GRPC_PORT}`;
    for (const extra of opts.edgeEnv) {
      const env: Record<string, string> = {
        ...base,
        DATAHUB_TARGET: "edge",
        DATAHUB_EDGE_PORT: String(await freePort()),
        DATAHUB_METRICS_PORT: String(await freePort()),
        DATAHUB_GRPC_PORT: String(await freePort()),
        DATAHUB_AUTH_ADDR: services,
        DATAHUB_RATELIMIT_ADDR: services,
        DATAHUB_AUDIT_ADDR: services,
        DATAHUB_WEBHOOKS_ADDR: services,
        ...extra,
      };
      const edge: Edge = {
        env,
        addr: `127.0.0.1:${env.DATAHUB_EDGE_PORT}`,
        metricsPort: Number(env.DATAHUB_METRICS_PORT),
        process: await spawnDatahub(env),
        stop: () => edge.process.stop(),
        async start() {
          edge.process = await spawnDatahub(env);
        },
      };
      running.push(edge.process);
      edges.push(edge);
    }
  } catch (e) {
    await Promise.all(running.map((p) => p.stop()));
    await db.drop();
    throw e;
  }
  const servicesProcess = running[0]!;
  return {
    rootKey,
    edges,
    async stop() {
      // Edges first (they ship their request logs to audit on the way out), then the services.
      await Promise.all(edges.map((e) => e.process.stop()));
      await servicesProcess.stop();
      await db.drop();
    },
  };
}
