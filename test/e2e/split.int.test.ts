/**
 * Split mode: the edge and the other services in separate `datahub start` processes, as in
 * Kubernetes. Proves the path works across processes and that a revocation made through one edge
 * is enforced by a second edge process within one second (pushed invalidation, not TTL expiry).
 */
import { freePort } from "@datahub/runtime/testing";
import { call, createOrgAndKey, spawnDatahub, startProcessStack, startUpstream, type DatahubProcess } from "../support/stack";



it("serves the pipeline across processes and enforces revocation on every edge within 1 s", async () => {
  const upstream = await startUpstream();
  const stack = await startProcessStack({
    split: true,
    routes: `routes:\n  - name: echo\n    path: /echo\n    upstream: ${upstream.url}\n`,
    env: { DATAHUB_AUTH_CACHE_TTL_MS: "600000" },
  });
  let edge2: DatahubProcess | undefined;
  try {
    const { key } = await createOrgAndKey(stack);
    expect((await call(stack.edgeUrl, "GET", "/echo", { key: key.key })).status).toBe(200);

    // A second edge process sharing the same services.
    const env2 = {
      ...stack.baseEnv,
      DATAHUB_TARGET: "edge",
      DATAHUB_EDGE_PORT: String(await freePort()),
      DATAHUB_METRICS_PORT: String(await freePort()),
      DATAHUB_AUTH_ADDR: `127.0.0.1:${stack.baseEnv.DATAHUB_GRPC_PORT}`,
      DATAHUB_RATELIMIT_ADDR: `127.0.0.1:${stack.baseEnv.DATAHUB_GRPC_PORT}`,
      DATAHUB_AUDIT_ADDR: `127.0.0.1:${stack.baseEnv.DATAHUB_GRPC_PORT}`,
      DATAHUB_WEBHOOKS_ADDR: `127.0.0.1:${stack.baseEnv.DATAHUB_GRPC_PORT}`,
      DATAHUB_GRPC_PORT: String(await freePort()),
    };
    edge2 = await spawnDatahub(env2);
    const edge2Url = `http://127.0.0.1:${env2.DATAHUB_EDGE_PORT}`;
    expect((await call(edge2Url, "GET", "/echo", { key: key.key })).status).toBe(200); // now cached on edge 2

    const revoked = await call(stack.edgeUrl, "DELETE", `/v1/keys/${key.id}`, { key: key.key });
    expect(revoked.status).toBe(204);
    const t0 = Date.now();
    let status = 200;
    while (Date.now() - t0 < 1000) {
      status = (await call(edge2Url, "GET", "/echo", { key: key.key })).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(401);
    expect(Date.now() - t0).toBeLessThan(1000);
  } finally {
    await edge2?.stop();
    await stack.stop();
    await upstream.close();
  }
}, 90000);
