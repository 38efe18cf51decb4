import { fileURLToPath } from "node:url";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Server, ServerCredentials, status, type ServerInterceptor, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { Registry } from "prom-client";
import type { Logger } from "../logger";
import { dropGrpcBindFailureLine, hostPort, listenError } from "../listen";
import { Counter, counter, Histogram, histogram, LATENCY_BUCKETS } from "../metrics";
import { grpcServiceDefinition } from "./definition";
import { RpcError, statusName } from "./errors";
import { ExchangeServer, type ExchangeHandler } from "./exchange/server";
import type { ExchangeBatch, ExchangeBatchInit } from "./exchange/protocol";
import { callerAuthInterceptor, type KeyVerifier } from "./caller-auth";
import { context, endWithError, extractContext, SpanKind, trace, tracer, tracingEnabled, type Context } from "../telemetry/tracing";

/** What a handler sees besides its request. */
export interface HandlerContext {
  /** Incoming metadata (e.g. `traceparent`). */
  metadata: Record<string, string>;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
}

/**
 * Implementation of every method of a generated service, as async functions. A bidi-streaming
 * method is an exchange method (exchange/protocol.ts): its function takes one batch and returns
 * its answer, as a unary handler would; the exchange server does ids, streams and trace context.
 */
export type ServiceImpl<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]["methodKind"] extends "bidi_streaming"
    ? (batch: ExchangeBatch<T[K]["input"]>, ctx: HandlerContext) => Promise<ExchangeBatchInit<T[K]["output"]>>
    : (req: MessageShape<T[K]["input"]>, ctx: HandlerContext) => Promise<MessageInitShape<T[K]["output"]>>;
};

const PROTO_ROOT = fileURLToPath(new URL("../../../../proto", import.meta.url));

function protoFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return protoFiles(full);
    return name.endsWith(".proto") ? [relative(PROTO_ROOT, full)] : [];
  });
}

/** Options for {@link GrpcHost}. */
export interface GrpcHostOptions {
  /**
   * Who may call (caller-auth.ts): the internal tokens, and how API-key credentials are verified.
   * Required: the port has no unauthenticated mode.
   */
  callers: { tokens: readonly string[]; verifyKey?: KeyVerifier };
  /** TLS of the port (credentials.ts `serverCredentials`); plaintext when omitted. */
  credentials?: ServerCredentials;
}

/**
 * The process's one gRPC server (`DATAHUB_GRPC_PORT`): every service module adds itself here.
 * It always serves `grpc.health.v1.Health` (per service, flipped to NOT_SERVING while draining)
 * and server reflection, so grpcurl and Kubernetes gRPC probes work; those two are the only
 * methods callable without a credential.
 */
export class GrpcHost {
  readonly server: Server;
  private readonly health = new HealthImplementation({ "": "SERVING" });
  private readonly services = new Set<string>();
  private readonly handled: Counter<"service" | "method" | "code">;
  private readonly seconds: Histogram<"service" | "method">;
  private readonly exchanges = new ExchangeServer();
  private boundPort = 0;

  private readonly credentials: ServerCredentials;

  constructor(
    private readonly logger: Logger,
    registry: Registry,
    opts: GrpcHostOptions,
  ) {
    const interceptors: ServerInterceptor[] = [callerAuthInterceptor({ ...opts.callers, registry })];
    this.server = new Server({
      "grpc.max_receive_message_length": 16 * 1024 * 1024,
      // Clients keep one HTTP/2 connection per target, so replicas added by a scale-out would get
      // no traffic from edges that connected earlier. Closing connections after a few minutes (with
      // a grace for calls in flight; clients reconnect at once, through the Service) spreads them.
      "grpc.max_connection_age_ms": 5 * 60_000,
      "grpc.max_connection_age_grace_ms": 30_000,
      interceptors,
    });
    this.credentials = opts.credentials ?? ServerCredentials.createInsecure();
    this.health.addToServer(this.server);
    new ReflectionService(loadSync(protoFiles(PROTO_ROOT), { includeDirs: [PROTO_ROOT] })).addToServer(this.server);
    this.handled = counter(registry, {
      name: "datahub_grpc_server_handled_total",
      help: "RPCs completed on the server, by service, method and gRPC status code.",
      labelNames: ["service", "method", "code"] as const,
    });
    this.seconds = histogram(registry, {
      name: "datahub_grpc_server_handling_seconds",
      help: "Time the server spent handling an RPC, in seconds.",
      labelNames: ["service", "method"] as const,
      buckets: LATENCY_BUCKETS,
    });
  }

  /** Adds a service implemented with protobuf-es messages; marks it SERVING in grpc health. */
  addService<T extends GenServiceMethods>(service: GenService<T>, impl: ServiceImpl<T>): void {
    const def = grpcServiceDefinition(service);
    const handlers: UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const fn = (impl as Record<string, ServiceImpl<T>[keyof T]>)[method.localName];
      if (!fn) throw new Error(`${service.typeName}.${method.name} is not implemented`);
      handlers[method.localName] =
        method.methodKind === "bidi_streaming" ? this.exchanges.handler(method, fn as ExchangeHandler, this.exchangeHooks(service.typeName, method.name)) : this.wrap(service.typeName, method.name, fn as never);
    }
    this.server.addService(def, handlers);
    this.services.add(service.typeName);
    this.health.setStatus(service.typeName, "SERVING");
  }

  /**
   * Binds the port; returns the bound port (useful with port 0 in tests). Rejects with a
   * `ListenError` naming DATAHUB_GRPC_PORT when the port cannot be bound.
   */
  async listen(host: string, port: number): Promise<number> {
    dropGrpcBindFailureLine();
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(hostPort(host, port), this.credentials, (err, p) => (err ? reject(err) : resolve(p))),
    ).catch((err: unknown) => {
      throw listenError("DATAHUB_GRPC_PORT", host, port, err);
    });
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Flips every service (and the overall "" entry) between SERVING and NOT_SERVING. */
  setServing(serving: boolean): void {
    const s = serving ? "SERVING" : "NOT_SERVING";
    this.health.setStatus("", s);
    for (const name of this.services) this.health.setStatus(name, s);
  }

  /**
   * Stops accepting calls, lets in-flight calls finish for up to `timeoutMs`, then cancels the rest.
   * Exchange streams end as soon as what they have read is answered (clients re-send the rest).
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.exchanges.drainAll();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, timeoutMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** An exchange method's metrics and error log: per exchange, as for a unary call. */
  private exchangeHooks(serviceName: string, methodName: string) {
    const labels = { service: serviceName, method: methodName };
    return {
      settled: (code: string, secs: number) => {
        this.seconds.observe(labels, secs);
        this.handled.inc({ ...labels, code });
      },
      failed: (err: unknown) => this.logger.error({ err, rpc: `${serviceName}/${methodName}` }, "rpc handler failed"),
    };
  }

  private wrap(serviceName: string, methodName: string, fn: (req: unknown, ctx: HandlerContext) => Promise<unknown>) {
    const logger = this.logger;
    const handled = this.handled;
    const seconds = this.seconds;
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const end = seconds.startTimer({ service: serviceName, method: methodName });
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      const md: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = String(v);
      const parent = tracingEnabled() ? extractContext(md) : undefined;
      const span = parent !== undefined ? startServerSpan(serviceName, methodName, parent) : undefined;
      const run = () => fn(call.request, { metadata: md, signal: abort.signal });
      // Inside the span's context, the handler's Postgres/Redis spans (instrumentations) nest under it.
      (span === undefined ? run() : context.with(trace.setSpan(parent!, span), run)).then(
        (res) => {
          end();
          if (span !== undefined) {
            span.setAttribute("rpc.grpc.status_code", 0);
            span.end();
          }
          handled.inc({ service: serviceName, method: methodName, code: "OK" });
          callback(null, res);
        },
        (err: unknown) => {
          end();
          const code = err instanceof RpcError ? err.code : status.INTERNAL;
          if (span !== undefined) endWithError(span, err, { "rpc.grpc.status_code": code });
          if (!(err instanceof RpcError)) logger.error({ err, rpc: `${serviceName}/${methodName}` }, "rpc handler failed");
          handled.inc({ service: serviceName, method: methodName, code: statusName(code) });
          callback({ code, details: err instanceof RpcError ? err.message : "internal error" });
        },
      );
    };
  }
}

/** The SERVER span of one RPC, child of the caller's span (W3C `traceparent` in the metadata). */
function startServerSpan(serviceName: string, methodName: string, parent: Context) {
  return tracer().startSpan(
    `${serviceName}/${methodName}`,
    { kind: SpanKind.SERVER, attributes: { "rpc.system": "grpc", "rpc.service": serviceName, "rpc.method": methodName } },
    parent,
  );
}
