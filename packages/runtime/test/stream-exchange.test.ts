/**
 * StreamExchange's stream-level rules, with in-memory streams (the real wire is covered by
 * services/ratelimit/test/check-stream.int.test.ts): what happens to waiting exchanges when a
 * stream ends gracefully or breaks.
 */
import { EventEmitter } from "node:events";
import { status, type ClientDuplexStream } from "@grpc/grpc-js";
import { ExchangeError, StreamExchange, unwrapExchange } from "../src/grpc/stream-exchange";

/** A stream that records what is written to it and lets the test answer, end or break it. */
class FakeStream extends EventEmitter {
  readonly written: Array<{ id: bigint; q: string }> = [];
  halfClosed = false;
  write(m: { id: bigint; q: string }): boolean {
    this.written.push(m);
    return true;
  }
  end(): void {
    this.halfClosed = true;
  }
  answer(id: bigint, a: string): void {
    this.emit("data", { id, a });
  }
}

function setup() {
  const streams: FakeStream[] = [];
  const exchange = new StreamExchange({
    open: () => {
      const s = new FakeStream();
      streams.push(s);
      return s as unknown as ClientDuplexStream<unknown, unknown>;
    },
    timeoutMs: 1000,
  });
  return { exchange, streams };
}

describe("StreamExchange", () => {
  it("matches answers to exchanges by id, whatever their order", async () => {
    const { exchange, streams } = setup();
    const a = exchange.send({ q: "a" });
    const b = exchange.send({ q: "b" });
    const [s] = streams;
    expect(s!.written.map((m) => m.q)).toEqual(["a", "b"]);
    s!.answer(s!.written[1]!.id, "B");
    s!.answer(s!.written[0]!.id, "A");
    expect(await a).toMatchObject({ a: "A" });
    expect(await b).toMatchObject({ a: "B" });
    expect(exchange.inFlight).toBe(0);
  });

  it("re-sends what a gracefully ended stream left unanswered on a fresh stream", async () => {
    const { exchange, streams } = setup();
    const answered = exchange.send({ q: "answered" });
    const left = exchange.send({ q: "left" });
    const first = streams[0]!;
    first.answer(first.written[0]!.id, "1");
    first.emit("status", { code: status.OK });
    expect(await answered).toMatchObject({ a: "1" });
    expect(streams).toHaveLength(2);
    const second = streams[1]!;
    expect(second.written.map((m) => m.q)).toEqual(["left"]);
    second.answer(second.written[0]!.id, "2");
    expect(await left).toMatchObject({ a: "2" });
  });

  it("fails what a broken stream left unanswered with the stream's code, and opens a new stream for the next exchange", async () => {
    const { exchange, streams } = setup();
    const waiting = exchange.send({ q: "x" });
    streams[0]!.emit("error", Object.assign(new Error("connection reset"), { code: status.UNAVAILABLE }));
    await expect(waiting).rejects.toMatchObject({ code: status.UNAVAILABLE });
    const next = exchange.send({ q: "y" });
    expect(streams).toHaveLength(2);
    streams[1]!.answer(streams[1]!.written[0]!.id, "ok");
    expect(await next).toMatchObject({ a: "ok" });
  });

  it("ignores an answer that arrives after its deadline", async () => {
    const exchange = new StreamExchange({ open: () => new FakeStream() as unknown as ClientDuplexStream<unknown, unknown>, timeoutMs: 20 });
    await expect(exchange.send({ q: "late" })).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(exchange.inFlight).toBe(0);
  });

  it("fails everything waiting when closed, and refuses new exchanges", async () => {
    const { exchange, streams } = setup();
    const waiting = exchange.send({ q: "x" });
    exchange.close();
    await expect(waiting).rejects.toMatchObject({ code: status.CANCELLED });
    expect(streams[0]!.halfClosed).toBe(true);
    await expect(exchange.send({ q: "y" })).rejects.toBeInstanceOf(ExchangeError);
  });

  it("unwraps an answer's batch, or throws the error code it carries", () => {
    expect(unwrapExchange({ batch: 1, errorCode: 0, errorMessage: "" })).toBe(1);
    expect(() => unwrapExchange({ errorCode: status.UNAVAILABLE, errorMessage: "redis down" })).toThrow("14 UNAVAILABLE: redis down");
    expect(() => unwrapExchange({ errorCode: 0, errorMessage: "" })).toThrow(ExchangeError);
  });
});
