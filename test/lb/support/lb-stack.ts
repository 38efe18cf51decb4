/**
 * The whole picture of the test/lb integration tests: a self-signed certificate (made by the
 * script the compose docs use), a recording upstream behind a public route, DataHub's services and
 * two edges (test/lb/support/edges.ts), and the repository's HAProxy config in front of them,
 * connecting from 127.0.0.3 while the test's clients connect from 127.0.0.2.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@datahub/runtime/testing";
import { createOrgAndKey, startUpstream } from "../../support/stack";
import type { Upstream } from "../../../services/edge/test/support/edge-stack";
import { startFleet, type EdgeFleet } from "./edges";
import { CERT_SCRIPT, startBalancer, type Balancer } from "./haproxy";
import { httpsGet, type ClientOptions } from "./https-client";

/** The address the test's clients connect from. */
export const CLIENT_ADDR = "127.0.0.2";
/** The address the balancer connects to the edges from. */
export const BALANCER_ADDR = "127.0.0.3";

/** A running balancer in front of two edges. */
export interface LbStack {
  fleet: EdgeFleet;
  balancer: Balancer;
  upstream: Upstream;
  /** How the test's clients connect: the certificate as CA, from {@link CLIENT_ADDR}. */
  client: ClientOptions;
  /** A key of a test org (every scope): `/lb` takes it, and it reads the org's request logs. */
  key: string;
  /** The request-log record of `requestId`, once audit has it (GET /v1/logs/{id} with {@link key}, through the balancer). */
  logOf(requestId: string): Promise<{ clientIp: string; status: number; path: string }>;
  stop(): Promise<void>;
}

/** Starts everything; `edgeEnv` is each edge's extra environment (two entries). Cleans up what started if a step fails. */
export async function startLbStack(edgeEnv: [Record<string, string>, Record<string, string>]): Promise<LbStack> {
  const dir = mkdtempSync(join(tmpdir(), "datahub-lb-cert-"));
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const certPem = execFileSync("bash", [CERT_SCRIPT, dir, "1"], { encoding: "utf8" }).trim();
    const client: ClientOptions = { ca: readFileSync(join(dir, "datahub.crt"), "utf8"), localAddress: CLIENT_ADDR };
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    // Any valid key; the default limits are out of the way of the load (one key, one address).
    const routes = [
      "routes:",
      `  - { name: lb, path: /lb, upstream: "${upstream.url}", scopes: [] }`,
      "defaults:",
      "  rateLimit: { limit: 10000, windowSeconds: 1 }",
      "  anonymousRateLimit: { limit: 10000, windowSeconds: 1 }",
      "",
    ].join("\n");
    const fleet = await startFleet({ routes, edgeEnv });
    cleanups.push(() => fleet.stop());
    const [a, b] = fleet.edges;
    // Set-up straight at an edge; what the tests assert goes through the balancer.
    const { key } = await createOrgAndKey({ edgeUrl: `http://${a!.addr}`, rootKey: fleet.rootKey });
    const balancer = await startBalancer({
      certPem,
      edges: [
        { addr: a!.addr, checkPort: a!.metricsPort },
        { addr: b!.addr, checkPort: b!.metricsPort },
      ],
      source: BALANCER_ADDR,
      checkInterval: "100ms",
    });
    cleanups.push(() => balancer.stop());
    await balancer.waitFor("edge-1", "UP");
    await balancer.waitFor("edge-2", "UP");
    return {
      fleet,
      balancer,
      upstream,
      client,
      key: key.key,
      async logOf(requestId) {
        let last = "";
        return eventually(async () => {
          const r = await httpsGet(`${balancer.url}/v1/logs/${requestId}`, { ...client, headers: { authorization: `Bearer ${key.key}` } });
          last = `${r.status} ${r.body.slice(0, 300)}`;
          return r.status === 200 ? (JSON.parse(r.body) as { clientIp: string; status: number; path: string }) : undefined;
        }, 10000, 50).catch(() => {
          throw new Error(`no request log for ${requestId}; last answer: ${last}`);
        });
      },
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
