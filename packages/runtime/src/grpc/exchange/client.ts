/**
 * Client side of the exchange protocol (protocol.ts): calls multiplexed over one long-lived bidi
 * gRPC stream, correlated by the messages' `id`. A message on an open stream costs the client a
 * fifth to a half of a unary grpc-js call's CPU and allows 2–5x the calls/s (bench/rpc-transport.ts;
 * docs/architecture.md, "Batch streams").
 *
 * Per exchange: resolves with the answer's batch; rejects with the {@link ExchangeError} of the
 * answer's `error_code`, with DEADLINE_EXCEEDED after `timeoutMs`, or with the stream's error when
 * the stream breaks. When the server ends a stream gracefully it has answered every request it
 * read, so exchanges still waiting were never processed and are re-sent on a fresh stream.
 *
 * Streams are rotated every `rotateMs` (a fresh stream takes new exchanges; the old one is
 * half-closed and drains), so that a stream never outlives the server's connection-age grace and
 * traffic moves to replicas added by a scale-out, as unary calls do.
 */
import { Metadata, status, type ClientDuplexStream } from "@grpc/grpc-js";
import { tracingEnabled, type Span } from "../../telemetry/tracing";
import { statusName } from "../errors";
import { ExchangeError, exchangeCode, unwrapExchange } from "./protocol";
import { endClientExchangeSpan, startClientExchangeSpan } from "./tracing";

/** What one exchange reports when it settles: the gRPC status name and the seconds it took. */
export type ExchangeObserver = (code: string, seconds: number) => void;

/** Options for {@link ExchangeClient}. */
export interface ExchangeClientOptions {
  /** Opens a new bidi stream (the generated client's method, called with fresh metadata). */
  open: (metadata: Metadata) => ClientDuplexStream<unknown, unknown>;
  /** Default deadline of one exchange, in milliseconds. */
  timeoutMs: number;
  /** Age after which new exchanges go to a fresh stream (default 20 s, under the server's 30 s grace). */
  rotateMs?: number;
  /** Called once per exchange with its outcome (metrics). */
  observe?: ExchangeObserver;
  /** Name of each exchange's CLIENT span while tracing is on (tracing.ts), e.g. `pkg.Service/Method`. */
  spanName?: string;
}

interface Waiter {
  /** The message without its id: `{ batch, traceparent }`. */
  message: Record<string, unknown>;
  stream: ClientDuplexStream<unknown, unknown>;
  resolve(res: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  started: bigint;
  /** The exchange's CLIENT span (tracing on only). */
  span: Span | undefined;
}

/** One exchange method's client: multiplexes its exchanges over one stream at a time. */
export class ExchangeClient<Batch = unknown, Answer = unknown> {
  private stream: ClientDuplexStream<unknown, unknown> | undefined;
  private openedAt = 0;
  private nextId = 1;
  private closed = false;
  private readonly pending = new Map<number, Waiter>();
  private readonly rotateMs: number;

  constructor(private readonly opts: ExchangeClientOptions) {
    this.rotateMs = opts.rotateMs ?? 20_000;
  }

  /** Exchanges still waiting for their answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends `batch` as one exchange and resolves with its answer (or rejects with an {@link ExchangeError}). */
  call(batch: Batch, timeoutMs = this.opts.timeoutMs): Promise<Answer> {
    if (this.closed) return Promise.reject(new ExchangeError(status.CANCELLED, "client closed"));
    const id = this.nextId++;
    // Tracing rides in the message itself (tracing.ts): the same path with it on or off.
    const traced = tracingEnabled() ? startClientExchangeSpan(this.opts.spanName ?? "exchange", batch) : undefined;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new ExchangeError(status.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`)), timeoutMs);
      const message = traced === undefined ? { batch } : { batch, traceparent: traced.traceparent };
      const waiter: Waiter = { message, stream: undefined as never, resolve: resolve as (res: unknown) => void, reject, timer, started: process.hrtime.bigint(), span: traced?.span };
      this.pending.set(id, waiter);
      this.write(id, waiter);
    });
  }

  /** Half-closes the open stream and fails exchanges still waiting. */
  close(): void {
    this.closed = true;
    this.stream?.end();
    this.stream = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, new ExchangeError(status.CANCELLED, "client closed"));
  }

  private write(id: number, waiter: Waiter): void {
    const stream = this.current();
    waiter.stream = stream;
    stream.write({ ...waiter.message, id: BigInt(id) });
  }

  /** The stream new exchanges go to: opened on first use, replaced after `rotateMs`. */
  private current(): ClientDuplexStream<unknown, unknown> {
    const now = Date.now();
    if (this.stream !== undefined && now - this.openedAt < this.rotateMs) return this.stream;
    // The old stream drains: the server answers what it has read, then ends with OK.
    this.stream?.end();
    const stream = this.opts.open(new Metadata());
    this.stream = stream;
    this.openedAt = now;
    stream.on("data", (res: { id: bigint; batch?: unknown; errorCode: number; errorMessage: string }) => this.settle(Number(res.id), undefined, res));
    stream.on("error", (err: Error & { code?: number; details?: string }) => this.broken(stream, err));
    stream.on("status", (s: { code: number }) => {
      if (s.code === status.OK) this.ended(stream);
    });
    return stream;
  }

  /** The server ended `stream` gracefully: what it did not answer was never processed; send it again. */
  private ended(stream: ClientDuplexStream<unknown, unknown>): void {
    if (this.stream === stream) this.stream = undefined;
    if (this.closed) return;
    for (const [id, w] of this.pending) if (w.stream === stream) this.write(id, w);
  }

  /** `stream` failed: every exchange waiting on it fails with the stream's status. */
  private broken(stream: ClientDuplexStream<unknown, unknown>, err: Error & { code?: number; details?: string }): void {
    if (this.stream === stream) this.stream = undefined;
    // grpc-js's message already starts with "<code> <NAME>: "; the details are the reason alone.
    const failure = new ExchangeError(err.code ?? status.UNAVAILABLE, err.details ?? err.message);
    for (const [id, w] of [...this.pending]) if (w.stream === stream) this.settle(id, failure);
  }

  private settle(id: number, err: ExchangeError | undefined, res?: { batch?: unknown; errorCode: number; errorMessage: string }): void {
    const w = this.pending.get(id);
    if (w === undefined) return; // answered after its deadline, or a duplicate
    this.pending.delete(id);
    clearTimeout(w.timer);
    this.opts.observe?.(err === undefined ? exchangeCode(res) : statusName(err.code), Number(process.hrtime.bigint() - w.started) / 1e9);
    let answer: unknown;
    if (err === undefined) {
      try {
        answer = unwrapExchange(res!);
      } catch (e) {
        err = e as ExchangeError;
      }
    }
    if (w.span !== undefined) endClientExchangeSpan(w.span, err);
    if (err === undefined) w.resolve(answer);
    else w.reject(err);
  }
}
