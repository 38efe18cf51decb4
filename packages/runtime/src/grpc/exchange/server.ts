/**
 * Server side of the exchange protocol (protocol.ts): every request message of a bidi stream is
 * one call, handled by the method's batch handler and answered with a response of the same `id`.
 * The server ends a stream with OK only once everything it read is answered — after the client
 * half-closes, or when the host drains for shutdown — so a client may safely re-send whatever was
 * left unanswered by a graceful end.
 */
import { create, type DescMethod } from "@bufbuild/protobuf";
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import { tracingEnabled } from "../../telemetry/tracing";
import { answerExchange, exchangeCode, exchangeShape } from "./protocol";
import { inServerExchangeSpan } from "./tracing";

/** What the handler of one exchange sees besides its batch. */
export interface ExchangeContext {
  /** The stream's metadata. */
  metadata: Record<string, string>;
  /** Aborted when the client cancels the stream. */
  signal: AbortSignal;
}

/** An exchange method's handler: one batch in, its answer out (or an RpcError for the whole batch). */
export type ExchangeHandler = (batch: unknown, ctx: ExchangeContext) => Promise<unknown>;

/** Hooks of {@link ExchangeServer.handler}. */
export interface ExchangeHooks {
  /** Once per exchange: its gRPC status name and duration. */
  settled(code: string, seconds: number): void;
  /** A handler failed with something other than an RpcError (the stream is failed with INTERNAL). */
  failed(err: unknown): void;
}

interface Open {
  drain(): void;
}

/** Serves a host's exchange methods, and knows their open streams so that shutdown ends them gracefully. */
export class ExchangeServer {
  private readonly open = new Set<Open>();

  /**
   * The grpc-js handler of exchange method `method`: each message's batch goes to `handle`
   * (inside the exchange's SERVER span while tracing is on) and its answer comes back with the
   * message's id. Throws when the method does not follow the protocol's message shape.
   */
  handler(method: DescMethod, handle: ExchangeHandler, hooks: ExchangeHooks): (call: ServerDuplexStream<unknown, unknown>) => void {
    const batchSchema = exchangeShape(method).batch;
    const spanName = `${method.parent.typeName}/${method.name}`;
    return (call) => {
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = String(v);
      this.serve(
        call,
        (req, signal) => {
          const m = req as { id: bigint; batch?: unknown };
          const run = () => answerExchange(m.id, () => handle(m.batch ?? create(batchSchema), { metadata, signal }));
          return tracingEnabled() ? inServerExchangeSpan(spanName, req, run) : run();
        },
        hooks,
      );
    };
  }

  /** Serves `call` until the client half-closes, the host drains, or it is cancelled. */
  private serve(call: ServerDuplexStream<unknown, unknown>, handle: (req: unknown, signal: AbortSignal) => Promise<unknown>, hooks: ExchangeHooks): void {
    const abort = new AbortController();
    let inFlight = 0;
    let ending = false;
    let done = false;
    const entry: Open = {
      drain: () => {
        ending = true;
        finish();
      },
    };
    const finish = () => {
      if (!ending || inFlight > 0 || done) return;
      done = true;
      this.open.delete(entry);
      call.end();
    };
    this.open.add(entry);
    call.on("data", (req: unknown) => {
      // Read after the decision to end: left unanswered, so the client sends it again elsewhere.
      if (ending || done) return;
      inFlight++;
      const started = process.hrtime.bigint();
      handle(req, abort.signal).then(
        (res) => {
          inFlight--;
          hooks.settled(exchangeCode(res), Number(process.hrtime.bigint() - started) / 1e9);
          if (!done) call.write(res);
          finish();
        },
        (err: unknown) => {
          inFlight--;
          hooks.settled("INTERNAL", Number(process.hrtime.bigint() - started) / 1e9);
          hooks.failed(err);
          if (done) return;
          done = true;
          this.open.delete(entry);
          call.emit("error", { code: status.INTERNAL, details: "internal error" });
        },
      );
    });
    call.on("end", entry.drain);
    call.on("cancelled", () => {
      done = true;
      this.open.delete(entry);
      abort.abort();
    });
  }

  /** Ends every open stream once its in-flight exchanges are answered. */
  drainAll(): void {
    for (const s of [...this.open]) s.drain();
  }
}
