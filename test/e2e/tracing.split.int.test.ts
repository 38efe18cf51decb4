/**
 * OpenTelemetry across processes (docs/reference/metrics.md, "Traces"; issue 5): the edge and the services in separate
 * `datahub start` processes export to an in-test OTLP/HTTP receiver (protobuf, the default
 * protocol). ONE request must yield ONE connected trace: the edge's SERVER span (child of the
 * client's traceparent), VerifyKey client/server spans with the Postgres query beneath, and the
 * batched CheckBatch and AppendLogs exchanges (on their streams, the trace context in the messages) —
 * each its own trace LINKED to the request's span — with their Redis and Postgres spans beneath. The upstream gets the edge span as parent, and the
 * request's log line carries the trace id.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { eventually, freePort, OtlpSpanKind, startOtlpGrpcReceiver, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "@datahub/runtime/testing";
import { call, createOrgAndKey, startProcessStack, startUpstream } from "../support/stack";

/** Every span of `traceId`, and every span (of any trace) descending from one that links into it. */
function connected(spans: ReceivedSpan[], traceId: string, requestSpanId: string): { own: ReceivedSpan[]; linked: ReceivedSpan[] } {
  const own = spans.filter((s) => s.traceId === traceId);
  const roots = spans.filter((s) => s.links.some((l) => l.traceId === traceId && l.spanId === requestSpanId));
  const linked: ReceivedSpan[] = [...roots];
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of spans) {
      if (!linked.includes(s) && linked.some((p) => p.traceId === s.traceId && p.spanId === s.parentSpanId)) {
        linked.push(s);
        grew = true;
      }
    }
  }
  return { own, linked };
}

/** True when `child` descends from `ancestor` through parent ids. */
function descends(spans: ReceivedSpan[], child: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  let cur: ReceivedSpan | undefined = child;
  while (cur !== undefined) {
    if (cur.parentSpanId === ancestor.spanId && cur.traceId === ancestor.traceId) return true;
    const parentId: string = cur.parentSpanId;
    cur = spans.find((s) => s.spanId === parentId && s.traceId === child.traceId);
  }
  return false;
}

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

it("one request yields one connected trace across edge, auth, ratelimit and audit in split mode", async () => {
  const upstream = await startUpstream();
  const stack = await startProcessStack({
    split: true,
    routes: `routes:\n  - name: echo\n    path: /echo\n    upstream: ${upstream.url}\n    rateLimit: { limit: 100, windowSeconds: 60 }\n`,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100", LOG_LEVEL: "info" },
  });
  try {
    const { key } = await createOrgAndKey(stack);
    const clientTrace = randomBytes(16).toString("hex");
    const clientSpan = randomBytes(8).toString("hex");
    const res = await call(stack.edgeUrl, "GET", "/echo", { key: key.key, headers: { traceparent: `00-${clientTrace}-${clientSpan}-01` } });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id")!;

    // The edge's SERVER span continues the client's trace.
    const edgeSpan = await eventually(
      () => receiver.spans.find((s) => s.traceId === clientTrace && s.kind === OtlpSpanKind.SERVER && s.service === "datahub-edge"),
      15000,
    );
    expect(edgeSpan.parentSpanId).toBe(clientSpan);
    expect(edgeSpan.name).toBe("GET echo");
    expect(edgeSpan.attributes["http.response.status_code"]).toBe(200);
    expect(receiver.requests["application/x-protobuf"]).toBeGreaterThan(0);

    // The upstream's parent is the edge span.
    const seen = upstream.seen.find((s) => s.url === "/echo");
    expect(seen?.headers.traceparent).toBe(`00-${clientTrace}-${edgeSpan.spanId}-01`);

    const services = "datahub-auth+ratelimit+audit+webhooks";
    const { own, linked } = await eventually(() => {
      const c = connected(receiver.spans, clientTrace, edgeSpan.spanId);
      const has = (f: (s: ReceivedSpan) => boolean, list: ReceivedSpan[]) => list.some(f);
      const ok =
        has((s) => s.name === "datahub.auth.v1.AuthService/VerifyKey" && s.service === services && s.kind === OtlpSpanKind.SERVER, c.own) &&
        has((s) => s.scope.includes("instrumentation-pg") && s.service === services, c.own) &&
        has((s) => s.name === "datahub.ratelimit.v1.RateLimitService/CheckBatchStream" && s.kind === OtlpSpanKind.SERVER, c.linked) &&
        has((s) => s.scope.includes("instrumentation-ioredis"), c.linked) &&
        has((s) => s.name === "datahub.audit.v1.AuditService/AppendLogsStream" && s.kind === OtlpSpanKind.SERVER, c.linked) &&
        has((s) => s.scope.includes("instrumentation-pg") && s.name.includes("INSERT"), c.linked);
      return ok ? c : undefined;
    }, 15000).catch((e: Error) => {
      const dump = receiver.spans.map((s) => `${s.service} ${s.scope} ${s.name} ${s.traceId.slice(0, 8)} ${s.spanId} <- ${s.parentSpanId} links ${JSON.stringify(s.links)}`);
      throw new Error(`${e.message}\n${dump.join("\n")}`);
    });

    // Auth: the edge's VerifyKey client span under the request, the service's server span under it, SQL beneath.
    const verifyClient = own.find((s) => s.name === "datahub.auth.v1.AuthService/VerifyKey" && s.kind === OtlpSpanKind.CLIENT)!;
    const verifyServer = own.find((s) => s.name === "datahub.auth.v1.AuthService/VerifyKey" && s.kind === OtlpSpanKind.SERVER)!;
    expect(verifyClient.service).toBe("datahub-edge");
    expect(descends(receiver.spans, verifyClient, edgeSpan)).toBe(true);
    expect(verifyServer.parentSpanId).toBe(verifyClient.spanId);
    const authSql = own.find((s) => s.scope.includes("instrumentation-pg"))!;
    expect(descends(receiver.spans, authSql, verifyServer)).toBe(true);

    // Ratelimit and audit: batched calls link to the request span; their work nests beneath them.
    const checkClient = linked.find((s) => s.name === "datahub.ratelimit.v1.RateLimitService/CheckBatchStream" && s.kind === OtlpSpanKind.CLIENT)!;
    expect(checkClient.links).toContainEqual({ traceId: clientTrace, spanId: edgeSpan.spanId });
    const checkServer = linked.find((s) => s.name === "datahub.ratelimit.v1.RateLimitService/CheckBatchStream" && s.kind === OtlpSpanKind.SERVER)!;
    expect(checkServer.parentSpanId).toBe(checkClient.spanId);
    expect(checkServer.service).toBe(services);
    expect(descends(receiver.spans, linked.find((s) => s.scope.includes("instrumentation-ioredis"))!, checkServer)).toBe(true);

    const appendClient = linked.find((s) => s.name === "datahub.audit.v1.AuditService/AppendLogsStream" && s.kind === OtlpSpanKind.CLIENT)!;
    expect(appendClient.links).toContainEqual({ traceId: clientTrace, spanId: edgeSpan.spanId });
    const appendServer = linked.find((s) => s.name === "datahub.audit.v1.AuditService/AppendLogsStream" && s.kind === OtlpSpanKind.SERVER)!;
    expect(appendServer.parentSpanId).toBe(appendClient.spanId);
    const insert = linked.find((s) => s.scope.includes("instrumentation-pg") && s.name.includes("INSERT"))!;
    expect(descends(receiver.spans, insert, appendServer)).toBe(true);

    // No span carries the API key.
    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toContain(key.key);
    expect(everything).not.toContain(stack.rootKey);

    // A /v1 call with a JSON body: the RPC it makes after express parsed the body is still in its trace
    // (this is also the context a webhook publish from /v1 carries on into delivery headers).
    const v1Trace = randomBytes(16).toString("hex");
    const org = await call(stack.edgeUrl, "POST", "/v1/orgs", { key: stack.rootKey, body: { name: "traced-org" }, headers: { traceparent: `00-${v1Trace}-${randomBytes(8).toString("hex")}-01` } });
    expect(org.status).toBe(201);
    const createOrg = await eventually(() => receiver.spans.find((s) => s.name === "datahub.auth.v1.AuthService/CreateOrg" && s.kind === OtlpSpanKind.SERVER && s.traceId === v1Trace), 10000);
    expect(createOrg.service).toBe(services);

    // The request's log line (edge process) carries the trace id.
    const edgeOutput = stack.processes[1]!.output();
    const line = edgeOutput.split("\n").find((l) => l.includes(`"requestId":"${requestId}"`) && l.includes('"msg":"request"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).traceId).toBe(clientTrace);
  } finally {
    await stack.stop();
    await upstream.close();
  }
}, 120000);

it("exports over OTLP/gRPC and OTLP/JSON when OTEL_EXPORTER_OTLP_PROTOCOL says so", async () => {
  const upstream = await startUpstream();
  for (const protocol of ["grpc", "http/json"]) {
    const sink = protocol === "grpc" ? await startOtlpGrpcReceiver() : await startOtlpReceiver();
    const stack = await startProcessStack({
      split: false,
      routes: `routes:\n  - name: echo\n    path: /echo\n    upstream: ${upstream.url}\n`,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: "100" },
    });
    try {
      const { key } = await createOrgAndKey(stack);
      const traceId = randomBytes(16).toString("hex");
      await call(stack.edgeUrl, "GET", "/echo", { key: key.key, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` } });
      await eventually(() => sink.spans.some((s) => s.traceId === traceId && s.name === "GET echo"), 15000);
      expect(Object.keys(sink.requests)).toEqual([protocol === "grpc" ? "application/grpc" : "application/json"]);
    } finally {
      await stack.stop();
      await sink.close();
    }
  }
  await upstream.close();
}, 120000);

it("a collector that is down costs requests nothing and does not hold up shutdown", async () => {
  const upstream = await startUpstream();
  // Nothing listens on this port: every export fails (connection refused).
  const stack = await startProcessStack({
    split: false,
    routes: `routes:\n  - name: echo\n    path: /echo\n    upstream: ${upstream.url}\n`,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`, OTEL_BSP_SCHEDULE_DELAY: "50", DATAHUB_SHUTDOWN_TIMEOUT_MS: "3000" },
  });
  try {
    const { key } = await createOrgAndKey(stack);
    for (let i = 0; i < 20; i++) expect((await call(stack.edgeUrl, "GET", "/echo", { key: key.key })).status).toBe(200);
    const t0 = Date.now();
    const codes = await Promise.all(stack.processes.map((p) => p.stop()));
    expect(codes).toEqual([0]);
    // Shutdown waits for the exporter at most DATAHUB_SHUTDOWN_TIMEOUT_MS (plus process exit).
    expect(Date.now() - t0).toBeLessThan(10000);
  } finally {
    await stack.stop(); // the processes already exited: drops the database
    await upstream.close();
  }
}, 120000);

it("a bad OTLP protocol stops start-up with one line naming the variable", () => {
  const bin = new URL("../../packages/cli/bin/datahub.js", import.meta.url).pathname;
  const r = spawnSync(process.execPath, [bin, "start"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "thrift" },
    encoding: "utf8",
    timeout: 30000,
  });
  expect(r.status).toBe(78);
  expect(r.stderr).toBe('datahub: invalid OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf, http/json or grpc, got "thrift"\n');
}, 60000);
