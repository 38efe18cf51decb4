/**
 * Server side of exchange streams (see stream-exchange.ts for the client): every request message
 * of a bidi stream is handled like a unary call and answered with a response of the same `id`.
 * The server ends a stream with OK only once everything it read is answered — after the client
 * half-closes, or when the host drains for shutdown — so a client may safely re-send whatever was
 * left unanswered by a graceful end.
 */
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import { RpcError, statusName } from "./errors";

/** The response of one exchange: the unary answer, or the status the unary call would have failed with. */
export interface ExchangeAnswer<T> {
  id: bigint;
  batch?: T;
  errorCode: number;
  errorMessage: string;
}

/**
 * Runs one exchange's unary handler; an {@link RpcError} becomes the answer's error code (the other
 * exchanges of the stream are unaffected). Any other error propagates: the host logs it and fails
 * the stream with INTERNAL, as it would fail a unary call.
 */
export async function answerExchange<T>(id: bigint, run: () => Promise<T>): Promise<ExchangeAnswer<T>> {
  try {
    return { id, batch: await run(), errorCode: 0, errorMessage: "" };
  } catch (err) {
    if (err instanceof RpcError) return { id, errorCode: err.code, errorMessage: err.message };
    throw err;
  }
}

/**
 * The status an exchange answer stands for: its `errorCode` (an RpcError the unary call would have
 * failed with) or OK — so `datahub_grpc_*_handled_total{code}` and the alerts on it count exchanges
 * like unary calls.
 */
export function exchangeCode(res: unknown): string {
  const code = (res as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === "number" && code !== 0 ? statusName(code) : "OK";
}

/** Hooks of {@link ExchangeStreams.serve}. */
export interface ExchangeHooks {
  /** Once per exchange: its gRPC status name and duration. */
  settled(code: string, seconds: number): void;
  /** A handler failed with something other than an RpcError (the stream is failed with INTERNAL). */
  failed(err: unknown): void;
}

interface Open {
  drain(): void;
}

/** The exchange streams a host has open, so that shutdown can end them gracefully. */
export class ExchangeStreams {
  private readonly open = new Set<Open>();

  /** Serves `call` until the client half-closes, the host drains, or it is cancelled. */
  serve(call: ServerDuplexStream<unknown, unknown>, handle: (req: unknown, signal: AbortSignal) => Promise<unknown>, hooks: ExchangeHooks): void {
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
