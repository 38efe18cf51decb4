/**
 * Shared steps of the PostgreSQL topology tests (test/postgres): a DataHub environment on given
 * database URLs with one route to a recording upstream, and "a proxied request whose log shows up".
 */
import { testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import { generateApiKey } from "@datahub/runtime";
import { writeRoutes } from "../../services/edge/test/support/edge-stack";
import { call } from "../support/stack";

/** `datahub start` environment: every service, `DATABASE_URL` = `databaseUrl`, plus `extra`. */
export async function topologyEnv(databaseUrl: string, upstreamUrl: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const routes = `
routes:
  - name: orders
    path: /api/orders
    upstream: ${upstreamUrl}
    scopes: []
`;
  return testEnv({
    databaseUrl,
    redisPrefix: `dhpg${uniqueSuffix()}`,
    extra: { DATAHUB_ROOT_KEY: generateApiKey("dhr"), DATAHUB_CONFIG: writeRoutes(routes), ...extra },
  });
}

/** Sends one proxied request with `key` and returns its request id (the edge's x-request-id). */
export async function proxied(edgeUrl: string, key: string, path = "/api/orders/1"): Promise<{ status: number; requestId: string }> {
  const r = await call(edgeUrl, "GET", path, { key });
  return { status: r.status, requestId: r.headers.get("x-request-id") ?? "" };
}

/** GET /v1/logs/{requestId} with `key`: the status (200 once the log is visible, 404 before). */
export async function logStatus(edgeUrl: string, key: string, requestId: string): Promise<{ status: number; json: any }> {
  const r = await call(edgeUrl, "GET", `/v1/logs/${encodeURIComponent(requestId)}`, { key });
  return { status: r.status, json: r.json };
}
