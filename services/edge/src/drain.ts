/**
 * Connection draining of the edge server on shutdown (docs/operations.md, "Graceful shutdown"):
 * from the moment draining starts, every connection ends after the response it is busy with, so
 * the server closes as soon as the last request in flight is answered instead of when keep-alive
 * clients or the shutdown timeout let it.
 *
 * It uses node's own keep-alive machinery and adds no listener or closure per request until
 * draining starts (the accessor below costs a getter call per response: within the noise of a
 * micro-benchmark of response creation plus head, ~400 ns either way):
 * - a response whose head is written while draining says `Connection: close`, and node ends the
 *   connection after it: `shouldKeepAlive` (what node reads when it writes the head) is an accessor
 *   of the server's response class that answers false once draining, for requests that started
 *   before as well as after;
 * - a response whose head already said `keep-alive` gets its connection ended right after it
 *   finishes, through the `http.server.response.finish` diagnostics channel, subscribed to only
 *   while draining;
 * - connections with no response in progress are closed when draining starts: the idle keep-alive
 *   ones (`server.close()` does that itself), and also those that have not delivered a whole
 *   request head yet, which node counts as busy and, once `close()` has stopped its timeout
 *   sweep, would keep open until the shutdown timeout. For that, the drain keeps the set of open
 *   connections (one entry and one shared `close` listener per connection, not per request).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Server, Socket } from "node:net";
import { EdgeResponse } from "./exchange";

const RESPONSE_FINISH = "http.server.response.finish";

/** Whether the exchange's own keep-alive (HTTP version, request `Connection` header) allows reuse. */
const kKeepAlive = Symbol("keepAlive");

/** What node publishes on the response-finish channel. */
interface FinishMessage {
  server: unknown;
  socket: Socket;
}

/**
 * True when no response is assigned to the connection: node's own test in
 * `server.closeIdleConnections()`. A pipelined request's response keeps the connection, and ends
 * it itself since its head is written while draining.
 */
function hasNoResponse(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: unknown })._httpMessage == null;
}

/** The draining switch of one edge server. */
export class ConnectionDrain {
  private active = false;
  private server: Server | undefined;
  private readonly connections = new Set<Socket>();
  /** The `close` listener of every connection (`this` is the socket): one function per server. */
  private readonly forget: (this: Socket) => void;
  /** The `ServerResponse` class to create the server with: its keep-alive follows this drain. */
  readonly Response: typeof EdgeResponse;

  constructor() {
    const drain = this;
    this.forget = function (this: Socket) {
      drain.connections.delete(this);
    };
    class DrainableResponse extends EdgeResponse {}
    Object.defineProperty(DrainableResponse.prototype, "shouldKeepAlive", {
      get(this: { [kKeepAlive]: boolean }) {
        return this[kKeepAlive] && !drain.active;
      },
      set(this: { [kKeepAlive]: boolean }, value: boolean) {
        this[kKeepAlive] = value;
      },
    });
    this.Response = DrainableResponse;
  }

  /**
   * Keeps track of `server`'s connections (created with {@link Response}). `tls`: the HTTP
   * connection is the TLS socket of `secureConnection`, not the TCP one under it.
   */
  attach(server: Server, tls: boolean): void {
    this.server = server;
    server.on(tls ? "secureConnection" : "connection", this.track);
  }

  /** From now on every connection ends after its current response; those with none end now. */
  start(): void {
    if (this.active) return;
    this.active = true;
    subscribe(RESPONSE_FINISH, this.onFinish);
    for (const socket of this.connections) if (hasNoResponse(socket)) socket.destroy();
  }

  /** Stops watching responses (the server has closed). */
  stop(): void {
    unsubscribe(RESPONSE_FINISH, this.onFinish);
  }

  private readonly track = (socket: Socket): void => {
    this.connections.add(socket);
    socket.on("close", this.forget);
  };

  private readonly onFinish = (message: unknown): void => {
    const { server, socket } = message as FinishMessage;
    if (server !== this.server) return;
    // The channel fires before node detaches the response: look once it has (and has assigned
    // the next pipelined response, if any). A `Connection: close` answer is already ending.
    queueMicrotask(() => {
      if (socket.writable && hasNoResponse(socket)) socket.destroySoon();
    });
  };
}
