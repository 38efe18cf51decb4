/**
 * ExchangeClient's stream-level rules, with in-memory streams (the real wire is covered by
 * services/ratelimit/test/check-stream.int.test.ts): what happens to waiting exchanges when a
 * stream ends gracefully or breaks.
 */
import { EventEmitter } from "node:events";
import { status, type ClientDuplexStream } from "@grpc/grpc-js";
import { ExchangeClient } from "../src/grpc/exchange/client";
import { ExchangeError, unwrapExchange } from "../src/grpc/exchange/protocol";

/** A stream that records what is written to it and lets the test answer, end or break it. */
class FakeStream extends EventEmitter {
  readonly written: Array<{ id: bigint; batch: string }> = [];
  halfClosed = false;
  write(m: { id: bigint; batch: string }): boolean {
    this.written.push(m);
    return true;
  }
  end(): void {
    this.halfClosed = true;
  }
  answer(id: bigint, a: string): void {
    this.emit("data", { id, batch: a, errorCode: 0, errorMessage: "" });
  }
  refuse(id: bigint, code: number, message: string): void {
    this.emit("data", { id, errorCode: code, errorMessage: message });
  }
}

function setup() {
  const streams: FakeStream[] = [];
  const exchange = new ExchangeClient<string, string>({
    open: () => {
      const s = new FakeStream();
      streams.push(s);
      return s as unknown as ClientDuplexStream<unknown, unknown>;
    },
    timeoutMs: 1000,
  });
  return { exchange, streams };
}

describe("ExchangeClient", () => {
  it("matches answers to exchanges by id, whatever their order", async () => {
    const { exchange, streams } = setup();
    const a = exchange.call("a");
    const b = exchange.call("b");
    const [s] = streams;
    expect(s!.written.map((m) => m.batch)).toEqual(["a", "b"]);
    s!.answer(s!.written[1]!.id, "B");
    s!.answer(s!.written[0]!.id, "A");
    expect(await a).toBe("A");
    expect(await b).toBe("B");
    expect(exchange.inFlight).toBe(0);
  });

  it("re-sends what a gracefully ended stream left unanswered on a fresh stream", async () => {
    const { exchange, streams } = setup();
    const answered = exchange.call("answered");
    const left = exchange.call("left");
    const first = streams[0]!;
    first.answer(first.written[0]!.id, "1");
    first.emit("status", { code: status.OK });
    expect(await answered).toBe("1");
    expect(streams).toHaveLength(2);
    const second = streams[1]!;
    expect(second.written.map((m) => m.batch)).toEqual(["left"]);
    second.answer(second.written[0]!.id, "2");
    expect(await left).toBe("2");
  });

  it("fails what a broken stream left unanswered with the stream's code, and opens a new stream for the next exchange", async () => {
    const { exchange, streams } = setup();
    const waiting = exchange.call("x");
    streams[0]!.emit("error", Object.assign(new Error("connection reset"), { code: status.UNAVAILABLE }));
    await expect(waiting).rejects.toMatchObject({ code: status.UNAVAILABLE });
    const next = exchange.call("y");
    expect(streams).toHaveLength(2);
    streams[1]!.answer(streams[1]!.written[0]!.id, "ok");
    expect(await next).toBe("ok");
  });

  it("ignores an answer that arrives after its deadline", async () => {
    const exchange = new ExchangeClient<string, string>({ open: () => new FakeStream() as unknown as ClientDuplexStream<unknown, unknown>, timeoutMs: 20 });
    await expect(exchange.call("late")).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    expect(exchange.inFlight).toBe(0);
  });

  it("fails everything waiting when closed, and refuses new exchanges", async () => {
    const { exchange, streams } = setup();
    const waiting = exchange.call("x");
    exchange.close();
    await expect(waiting).rejects.toMatchObject({ code: status.CANCELLED });
    expect(streams[0]!.halfClosed).toBe(true);
    await expect(exchange.call("y")).rejects.toBeInstanceOf(ExchangeError);
  });

  it("rejects an exchange answered with an error code as the unary call would have failed, and resolves the others", async () => {
    const { exchange, streams } = setup();
    const refused = exchange.call("bad");
    const fine = exchange.call("good");
    const s = streams[0]!;
    s.refuse(s.written[0]!.id, status.INVALID_ARGUMENT, "records: at most 10000 per call");
    s.answer(s.written[1]!.id, "G");
    await expect(refused).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, message: "3 INVALID_ARGUMENT: records: at most 10000 per call" });
    expect(await fine).toBe("G");
  });

  it("unwraps an answer's batch, or throws the error code it carries", () => {
    expect(unwrapExchange({ batch: 1, errorCode: 0, errorMessage: "" })).toBe(1);
    expect(() => unwrapExchange({ errorCode: status.UNAVAILABLE, errorMessage: "redis down" })).toThrow("14 UNAVAILABLE: redis down");
    expect(() => unwrapExchange({ errorCode: 0, errorMessage: "" })).toThrow(ExchangeError);
  });
});
