/**
 * `all` mode as a real process: `datahub start` with DATAHUB_TARGET=all serves the pipeline, and
 * SIGTERM drains and exits 0.
 */
import { call, createOrgAndKey, startProcessStack, startUpstream } from "../support/stack";



it("runs every service in one process and shuts down cleanly on SIGTERM", async () => {
  const upstream = await startUpstream();
  const stack = await startProcessStack({ split: false, env: { LOG_LEVEL: "info" }, routes: `routes:\n  - name: echo\n    path: /echo\n    upstream: ${upstream.url}\n` });
  try {
    const { key } = await createOrgAndKey(stack);
    const res = await call(stack.edgeUrl, "GET", "/echo/hi", { key: key.key });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ path: "/echo/hi" });
    const metrics = await (await fetch(`${stack.processes[0]!.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/datahub_http_requests_total\{[^}]*route="echo"/);
    // Served by the services thread, merged into the process's one /metrics.
    expect(metrics).toMatch(/datahub_grpc_server_handled_total\{service="datahub.auth.v1.AuthService"/);
    expect(metrics.match(/^# TYPE process_cpu_seconds_total/gm)).toHaveLength(1);
  } finally {
    const code = await stack.processes[0]!.stop();
    expect(code).toBe(0);
    expect(stack.processes[0]!.output()).toMatch(/"servicesThread":true/);
    expect(stack.processes[0]!.output().match(/"msg":"stopped"/g)).toHaveLength(2); // edge, then the services thread
    await stack.stop();
    await upstream.close();
  }
}, 60000);
