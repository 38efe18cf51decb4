/**
 * A keep-alive HTTP client for shutdown tests: one connection per client, reused across requests,
 * that records when each answer ended and whether (and when) the server closed the connection.
 */
import { Agent, request, type IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";

/** One answer as the client saw it. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** `Date.now()` when the last byte of the body arrived. */
  endedAt: number;
}

/** A client holding one keep-alive connection. */
export interface KeepAliveClient {
  /** GET `path`; `onHeaders` runs when the answer's head arrives (before its body ends). */
  get(path: string, onHeaders?: (headers: IncomingHttpHeaders) => void): Promise<Answer>;
  /** Resolves with `Date.now()` when the server closes the connection this client holds. */
  closedByServer(): Promise<number>;
  /** The number of connections this client opened (1 while keep-alive held). */
  readonly connections: number;
  destroy(): void;
}

/** A client of `baseUrl` that keeps its one connection open between requests. */
export function keepAliveClient(baseUrl: string): KeepAliveClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 60_000 });
  let socket: Socket | undefined;
  let connections = 0;
  let closed: Promise<number> | undefined;
  const watch = (s: Socket) => {
    if (s === socket) return;
    socket = s;
    connections++;
    // The server ending the connection shows as `end` (its FIN) or a `close` without our destroy.
    closed = new Promise((resolve) => {
      s.once("end", () => resolve(Date.now()));
      s.once("close", () => resolve(Date.now()));
    });
  };
  return {
    get(path, onHeaders) {
      return new Promise((resolve, reject) => {
        const req = request(new URL(path, baseUrl), { agent, method: "GET" }, (res) => {
          onHeaders?.(res.headers);
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, endedAt: Date.now() }));
          res.on("error", reject);
        });
        req.on("socket", watch);
        req.on("error", reject);
        req.end();
      });
    },
    closedByServer() {
      if (closed === undefined) return Promise.reject(new Error("no connection yet"));
      return closed;
    },
    get connections() {
      return connections;
    },
    destroy() {
      agent.destroy();
    },
  };
}
