/**
 * OTLP trace receivers for tests on 127.0.0.1 — HTTP (`POST /v1/traces`: protobuf, the default
 * `http/protobuf`, or JSON, `http/json`) and gRPC (`TraceService/Export`, protocol `grpc`) — that
 * decode what the SDK exports with the OTLP trace schema below into flat span records.
 *
 * The schema is the subset of opentelemetry/proto/{collector/trace,trace,common,resource}/v1
 * that tests read, with the upstream field numbers; protobuf skips the fields it leaves out.
 */
import { createServer, type Server } from "node:http";
import { Server as GrpcServer, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";

const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; repeated Link links = 13; Status status = 15;
}
message Link { bytes trace_id = 1; bytes span_id = 2; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
`;

const ExportRequest = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root.lookupType("otlp.ExportTraceServiceRequest");

/** OTLP span kinds (SPAN_KIND_*). */
export const OtlpSpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** One received span, ids in lowercase hex. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  /** `service.name` of the resource that exported it. */
  service: string;
  /** Instrumentation scope (`datahub`, `@opentelemetry/instrumentation-pg`, ...). */
  scope: string;
  attributes: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string }>;
  statusCode: number;
}

/** A running receiver. */
export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Export requests received, by content type. */
  requests: Record<string, number>;
  close(): Promise<void>;
}

type Json = Record<string, any>;

function hex(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v.toLowerCase(); // OTLP/JSON: ids are hex strings
  return Buffer.from(v as Uint8Array).toString("hex");
}

function attrs(list: Json[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    const val = v.stringValue ?? v.boolValue ?? v.doubleValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined);
    if (val !== undefined) out[kv.key] = val;
  }
  return out;
}

/** Flattens an ExportTraceServiceRequest (protobuf-decoded or OTLP/JSON, both camelCase). */
function flatten(req: Json): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const service = String(attrs(rs.resource?.attributes)["service.name"] ?? "");
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: Number(s.kind ?? 0),
          service,
          scope: ss.scope?.name ?? "",
          attributes: attrs(s.attributes),
          links: (s.links ?? []).map((l: Json) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
          statusCode: Number(s.status?.code ?? 0),
        });
      }
    }
  }
  return out;
}

/** Starts the receiver on 127.0.0.1 (a free port). */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const type = String(req.headers["content-type"] ?? "").split(";")[0]!;
      if (req.method !== "POST" || req.url !== "/v1/traces") return void res.writeHead(404).end();
      requests[type] = (requests[type] ?? 0) + 1;
      const body = Buffer.concat(chunks);
      try {
        if (type === "application/json") {
          spans.push(...flatten(JSON.parse(body.toString())));
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        } else {
          const decoded = ExportRequest.toObject(ExportRequest.decode(body), { longs: String, bytes: Buffer, defaults: false });
          spans.push(...flatten(decoded));
          res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
        }
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Starts an OTLP/gRPC receiver (`opentelemetry.proto.collector.trace.v1.TraceService/Export`). */
export async function startOtlpGrpcReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: Record<string, number> = {};
  const server = new GrpcServer();
  const identity = (b: Buffer) => b;
  server.addService(
    {
      export: {
        path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        requests["application/grpc"] = (requests["application/grpc"] ?? 0) + 1;
        spans.push(...flatten(ExportRequest.toObject(ExportRequest.decode(call.request), { longs: String, bytes: Buffer, defaults: false })));
        callback(null, Buffer.alloc(0)); // an empty ExportTraceServiceResponse
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
}
