import { makeGenericClientConstructor, credentials, Metadata, status, type Client } from "@grpc/grpc-js";
import type { Registry } from "prom-client";
import { counter, histogram, LATENCY_BUCKETS } from "../metrics";
import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { grpcServiceDefinition } from "./definition";
import { statusName } from "./errors";
import { ExchangeClient } from "./exchange/client";
import type { ExchangeBatch, ExchangeBatchInit } from "./exchange/protocol";
import { bearerInterceptor, type RpcCredentials } from "./credentials";
import { context, endWithError, injectContext, ROOT_CONTEXT, SpanKind, trace, tracer, tracingEnabled, type Link } from "../telemetry/tracing";

/** Per-call options. */
export interface CallOptions {
  /** Deadline from now, in milliseconds; defaults to the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Extra metadata (e.g. `traceparent`). */
  metadata?: Record<string, string>;
}

/**
 * A typed promise client for a generated service. An exchange method (bidi-streaming,
 * exchange/protocol.ts) is called like a unary one, with its batch, and resolves with its answer.
 */
export type RpcClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]["methodKind"] extends "bidi_streaming"
    ? (batch: ExchangeBatchInit<T[K]["input"]>, opts?: CallOptions) => Promise<ExchangeBatch<T[K]["output"]>>
    : (req: MessageInitShape<T[K]["input"]>, opts?: CallOptions) => Promise<MessageShape<T[K]["output"]>>;
} & { close(): void };

/** Options for {@link createRpcClient}. */
export interface RpcClientOptions {
  /** Default deadline of each call in milliseconds. */
  timeoutMs: number;
  /** Where to count calls (`datahub_grpc_client_handled_total`, `..._handling_seconds`); none when omitted. */
  registry?: Registry;
  /**
   * What every call presents (credentials.ts): DataHub's processes use `internalCredentials(config)`.
   * Without it calls carry no credential, which the servers refuse (UNAUTHENTICATED).
   */
  credentials?: RpcCredentials;
}

/** The client-side RED metrics of every RPC a process makes. */
function clientMetrics(registry: Registry) {
  return {
    handled: counter(registry, {
      name: "datahub_grpc_client_handled_total",
      help: "RPCs completed by this process as a client, by service, method and gRPC status code.",
      labelNames: ["service", "method", "code"] as const,
    }),
    seconds: histogram(registry, {
      name: "datahub_grpc_client_handling_seconds",
      help: "Time from sending an RPC to its answer (or failure), as seen by the client, in seconds.",
      labelNames: ["service", "method"] as const,
      buckets: LATENCY_BUCKETS,
    }),
  };
}

/**
 * Creates a @grpc/grpc-js client for a protobuf-es service at `address` (`host:port`).
 * One HTTP/2 connection is shared by all calls; keepalive detects a dead peer quickly.
 * Bidi-streaming methods are exchange methods, each served by an {@link ExchangeClient}.
 */
export function createRpcClient<T extends GenServiceMethods>(service: GenService<T>, address: string, opts: RpcClientOptions): RpcClient<T> {
  const Ctor = makeGenericClientConstructor(grpcServiceDefinition(service), service.typeName);
  const bearer = opts.credentials?.bearer;
  const client = new Ctor(address, opts.credentials?.channel ?? credentials.createInsecure(), {
    interceptors: bearer !== undefined ? [bearerInterceptor(bearer)] : [],
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": 2_000,
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
  }) as Client & Record<string, Function>;
  const exchanges: ExchangeClient[] = [];
  const out: Record<string, unknown> = {
    close: () => {
      for (const x of exchanges) x.close();
      client.close();
    },
  };
  const m = opts.registry !== undefined ? clientMetrics(opts.registry) : undefined;
  for (const method of service.methods) {
    const name = method.localName;
    const spanName = `${service.typeName}/${method.name}`;
    const labels = { service: service.typeName, method: method.name };
    const observe =
      m &&
      ((code: string, seconds: number) => {
        m.seconds.observe(labels, seconds);
        m.handled.inc({ ...labels, code });
      });
    if (method.methodKind === "bidi_streaming") {
      // Counted per exchange, traced per exchange (exchange/tracing.ts).
      const exchange = new ExchangeClient({ open: (md) => client[name]!(md), timeoutMs: opts.timeoutMs, observe, spanName });
      exchanges.push(exchange);
      out[name] = (batch: unknown, callOpts?: CallOptions) => exchange.call(batch, callOpts?.timeoutMs);
      continue;
    }
    const call = (req: unknown, callOpts: CallOptions | undefined, md: Metadata) =>
      new Promise((resolve, reject) => {
        if (callOpts?.metadata) for (const [k, v] of Object.entries(callOpts.metadata)) md.set(k, v);
        const deadline = Date.now() + (callOpts?.timeoutMs ?? opts.timeoutMs);
        const started = m !== undefined ? process.hrtime.bigint() : 0n;
        client[name]!(req, md, { deadline }, (err: (Error & { code?: number }) | null, res: unknown) => {
          observe?.(err === null ? "OK" : statusName(err.code ?? status.UNKNOWN), Number(process.hrtime.bigint() - started) / 1e9);
          if (err) reject(err);
          else resolve(res);
        });
      });
    out[name] = (req: unknown, callOpts?: CallOptions) => {
      if (!tracingEnabled()) return call(req, callOpts, new Metadata());
      return tracedCall(spanName, service.typeName, method.name, callOpts, (md) => call(req, callOpts, md));
    };
  }
  return out as RpcClient<T>;
}

/** One RPC inside a CLIENT span whose context travels in the call's `traceparent` metadata. */
function tracedCall(spanName: string, rpcService: string, rpcMethod: string, callOpts: CallOptions | undefined, call: (md: Metadata) => Promise<unknown>): Promise<unknown> {
  const parent = context.active();
  const span = tracer().startSpan(
    spanName,
    {
      kind: SpanKind.CLIENT,
      attributes: { "rpc.system": "grpc", "rpc.service": rpcService, "rpc.method": rpcMethod },
    },
    parent,
  );
  const headers: Record<string, string> = {};
  injectContext(trace.setSpan(parent, span), headers);
  const md = new Metadata();
  for (const k in headers) md.set(k, headers[k]!);
  return call(md).then(
    (res) => {
      span.setAttribute("rpc.grpc.status_code", 0);
      span.end();
      return res;
    },
    (err: unknown) => {
      endWithError(span, err, { "rpc.grpc.status_code": typeof (err as { code?: unknown })?.code === "number" ? (err as { code: number }).code : 2 });
      throw err;
    },
  );
}
