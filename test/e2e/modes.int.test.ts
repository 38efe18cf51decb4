/**
 * `all` mode as a real process: `datahub start` with DATAHUB_TARGET=all serves the pipeline, and
 * SIGTERM drains and exits 0.
 */
import { call, createOrgAndKey, startProcessStack, startUpstream } from "../support/stack";

jest.setTimeout(60000);

it("runs every service in one process and shuts down cleanly on SIGTERM", async () => {
  const upstream = await startUpstream();
  const stack = await startProcessStack({ split: false, routes: `routes:\n  - name: echo\n    path: /echo\n    upstream: ${upstream.url}\n` });
  try {
    const { key } = await createOrgAndKey(stack);
    const res = await call(stack.edgeUrl, "GET", "/echo/hi", { key: key.key });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, path: "/echo/hi" });
    const metrics = await (await fetch(`${stack.processes[0]!.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/datahub_http_requests_total\{[^}]*route="echo"/);
    expect(metrics).toContain("datahub_grpc_server_handled_total");
  } finally {
    const code = await stack.processes[0]!.stop();
    expect(code).toBe(0);
    expect(stack.processes[0]!.output()).toContain("stopped");
    await stack.stop();
    await upstream.close();
  }
});
