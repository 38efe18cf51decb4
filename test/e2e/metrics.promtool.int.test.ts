/**
 * Every process's `/metrics` passes `promtool check metrics` (docs/reference/metrics.md) and carries the metrics
 * docs/reference/metrics.md and issue 5 list, in all-mode (edge + services thread, merged exposition) and in
 * split mode (edge and services as separate processes). Also: with tracing on, the services
 * thread of an all-mode process exports its own spans; with `OTEL_SDK_DISABLED=true` nothing is
 * exported even though an endpoint is set (no endpoint at all: packages/runtime/test/telemetry.test.ts).
 */
import { spawnSync } from "node:child_process";
import { eventually, startOtlpReceiver } from "@datahub/runtime/testing";
import { call, createOrgAndKey, startProcessStack, startUpstream, type DatahubProcess } from "../support/stack";

const ROUTES = (upstream: string) => `routes:\n  - name: echo\n    path: /echo\n    upstream: ${upstream}\n    rateLimit: { limit: 100, windowSeconds: 60 }\n`;

const EDGE_METRICS = [
  "datahub_http_requests_total",
  "datahub_http_request_duration_seconds",
  "datahub_gateway_overhead_seconds",
  "datahub_upstream_duration_seconds",
  "datahub_auth_cache_requests_total",
  "datahub_auth_cache_entries",
  "datahub_audit_records_total",
  "datahub_audit_buffer_records",
  "datahub_audit_buffer_capacity_records",
  "datahub_grpc_client_handled_total",
  "datahub_grpc_client_handling_seconds",
  "datahub_redis_up",
  "process_cpu_seconds_total",
];
const SERVICE_METRICS = [
  "datahub_grpc_server_handled_total",
  "datahub_grpc_server_handling_seconds",
  "datahub_ratelimit_decisions_total",
  "datahub_pg_pool_clients",
  "datahub_pg_pool_max_clients",
  "datahub_pg_pool_waiting_requests",
  "datahub_redis_queued_commands",
  "process_cpu_seconds_total",
];

/** Runs `promtool check metrics` on the exposition; returns its exit code and output. */
function promtool(text: string): { code: number | null; out: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (r.error) throw new Error(`promtool not runnable (bash scripts/ensure-tools.sh installs it): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function scrape(p: DatahubProcess): Promise<string> {
  const res = await fetch(`${p.metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function expectFamilies(text: string, names: string[]): void {
  const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  expect(names.filter((n) => !families.has(n))).toEqual([]);
}

/** Some traffic so every labelled family has samples: a proxied 200, a 401, /v1 calls. */
async function traffic(stack: { edgeUrl: string; rootKey: string }): Promise<void> {
  const { key } = await createOrgAndKey(stack);
  expect((await call(stack.edgeUrl, "GET", "/echo", { key: key.key })).status).toBe(200);
  expect((await call(stack.edgeUrl, "GET", "/echo")).status).toBe(401);
}

it("all-mode: /metrics passes promtool; the services thread exports its own spans", async () => {
  const upstream = await startUpstream();
  const receiver = await startOtlpReceiver();
  // A stack that fails to start must not leave the upstream and receiver open: jest would never exit.
  const stack = await startProcessStack({ split: false, routes: ROUTES(upstream.url), env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100" } }).catch(async (e: unknown) => {
    await receiver.close();
    await upstream.close();
    throw e;
  });
  try {
    await traffic(stack);
    const text = await eventually(async () => {
      const t = await scrape(stack.processes[0]!);
      return t.includes('datahub_audit_records_total{outcome="shipped"}') ? t : undefined;
    }, 10000);
    const check = promtool(text);
    expect(check.out).toBe("");
    expect(check.code).toBe(0);
    expectFamilies(text, [...new Set([...EDGE_METRICS, ...SERVICE_METRICS])]);
    expect(text).toMatch(/datahub_pg_pool_clients\{pool="datahub-auth",state="idle"\} \d+/);

    // Spans from both threads of the one process.
    await eventually(() => receiver.spans.some((s) => s.service === "datahub-edge") && receiver.spans.some((s) => s.service === "datahub-auth+ratelimit+audit+webhooks"), 10000);
  } finally {
    await stack.stop();
    await receiver.close();
    await upstream.close();
  }
}, 120000);

it("split mode: each process's /metrics passes promtool; OTEL_SDK_DISABLED exports nothing despite an endpoint", async () => {
  const upstream = await startUpstream();
  const receiver = await startOtlpReceiver();
  const stack = await startProcessStack({
    split: true,
    routes: ROUTES(upstream.url),
    // The endpoint is set but the SDK is disabled: tracing must stay off.
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: "true", OTEL_BSP_SCHEDULE_DELAY: "100", LOG_LEVEL: "info" },
  }).catch(async (e: unknown) => {
    await receiver.close();
    await upstream.close();
    throw e;
  });
  try {
    await traffic(stack);
    const [services, edge] = stack.processes as [DatahubProcess, DatahubProcess];
    const edgeText = await eventually(async () => {
      const t = await scrape(edge);
      return t.includes('datahub_audit_records_total{outcome="shipped"}') ? t : undefined;
    }, 10000);
    const servicesText = await scrape(services);
    for (const text of [edgeText, servicesText]) {
      const check = promtool(text);
      expect(check.out).toBe("");
      expect(check.code).toBe(0);
    }
    expectFamilies(edgeText, EDGE_METRICS);
    expectFamilies(servicesText, SERVICE_METRICS);
    expect(servicesText).toMatch(/datahub_grpc_server_handled_total\{service="datahub.auth.v1.AuthService",method="VerifyKey",code="OK"\} [1-9]/);
    // Tracing off: the edge's batches go as exchanges on the streams, counted per exchange on both ends.
    expect(edgeText).toMatch(/datahub_grpc_client_handled_total\{service="datahub.ratelimit.v1.RateLimitService",method="CheckBatchStream",code="OK"\} [1-9]/);
    expect(servicesText).toMatch(/datahub_grpc_server_handled_total\{service="datahub.ratelimit.v1.RateLimitService",method="CheckBatchStream",code="OK"\} [1-9]/);
    expect(edgeText).not.toMatch(/method="CheckBatch",code=/);

    // Tracing stayed off: the start-up line says why, and the receiver got nothing.
    expect(edge.output()).toContain('"tracing":"off (OTEL_SDK_DISABLED=true)"');
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.spans).toHaveLength(0);
    expect(Object.keys(receiver.requests)).toHaveLength(0);
    // Request log lines still carry the edge's own trace id (tracing off: generated, not exported).
    expect(edge.output()).toMatch(/"traceId":"[0-9a-f]{32}".*"msg":"request"/);
  } finally {
    await stack.stop();
    await receiver.close();
    await upstream.close();
  }
}, 120000);
