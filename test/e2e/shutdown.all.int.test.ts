/**
 * Graceful shutdown of a real `datahub start` (DATAHUB_TARGET=all) ends when the work ends
 * (docs/operations.md, "Graceful shutdown"): keep-alive clients with requests in flight at SIGTERM
 * get their answers with `Connection: close` (or, when the head had already gone out, a closed
 * connection right after the body), idle connections and connections that have not sent a whole
 * request head are closed at once, every request is in the audit table, and the process exits
 * right after the last answer although DATAHUB_SHUTDOWN_TIMEOUT_MS is 20 s.
 */
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import pg from "pg";
import { eventually } from "@datahub/runtime/testing";
import { keepAliveClient, type Answer } from "../support/keep-alive-client";
import { startProcessStack } from "../support/stack";

const SLOW_MS = 500;

/** A raw connection to `url` that sends `head` (maybe nothing); resolves with when the server closed it. */
async function rawConnection(url: string, head: string): Promise<{ closed: Promise<number>; destroy(): void }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => undefined);
  await new Promise((r) => socket.once("connect", r));
  if (head) socket.write(head);
  const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now())));
  return { closed, destroy: () => socket.destroy() };
}

/** `/fast` answers at once; `/slow` after SLOW_MS; `/stream` sends its head at once and ends after SLOW_MS. */
async function slowUpstream(): Promise<{ url: string; inFlight: () => number; close(): Promise<void> }> {
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    if (req.url?.includes("/fast")) return void res.end("fast");
    inFlight++;
    if (req.url?.includes("/stream")) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("head;");
    }
    setTimeout(() => (inFlight--, res.end("done")), SLOW_MS);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    inFlight: () => inFlight,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

it("answers in-flight keep-alive requests with Connection: close, flushes their logs and exits right after the last answer", async () => {
  const upstream = await slowUpstream();
  const stack = await startProcessStack({
    split: false,
    env: { DATAHUB_SHUTDOWN_TIMEOUT_MS: "20000", DATAHUB_SHUTDOWN_DELAY_MS: "100" },
    routes: `routes:\n  - name: up\n    path: /up\n    upstream: ${upstream.url}\n    public: true\n`,
  });
  const child = stack.processes[0]!.child;
  const exited = new Promise<{ code: number | null; at: number }>((r) => child.once("exit", (code) => r({ code, at: Date.now() })));
  const slow = [1, 2, 3].map(() => keepAliveClient(stack.edgeUrl));
  const streaming = keepAliveClient(stack.edgeUrl);
  const idle = keepAliveClient(stack.edgeUrl);
  const clients = [...slow, streaming, idle];
  const raw: Array<{ closed: Promise<number>; destroy(): void }> = [];
  const pool = new pg.Pool({ connectionString: stack.databaseUrl });
  try {
    // Every client holds a warm keep-alive connection before the in-flight requests start.
    const warm = await Promise.all(clients.map((c) => c.get("/up/fast")));
    expect(warm.map((a) => a.headers.connection)).toEqual(clients.map(() => "keep-alive"));

    let streamHead: string | undefined;
    const inFlight: Array<Promise<Answer>> = [
      ...slow.map((c) => c.get("/up/slow")),
      streaming.get("/up/stream", (h) => (streamHead = h.connection)),
    ];
    await eventually(() => upstream.inFlight() === inFlight.length && streamHead !== undefined, 5000, 5);
    // Connections with nothing in flight yet: one that sent no byte, one halfway through a request head.
    raw.push(await rawConnection(stack.edgeUrl, ""), await rawConnection(stack.edgeUrl, "GET /up/fast HTTP/1.1\r\nHost: x\r\n"));
    const sigtermAt = Date.now();
    child.kill("SIGTERM");

    const answers = await Promise.all(inFlight);
    const lastAnswerAt = Math.max(...answers.map((a) => a.endedAt));
    const { code, at: exitAt } = await exited;

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.body)).toEqual(["done", "done", "done", "head;done"]);
    // Heads written after SIGTERM say close; the streaming head went out before it.
    expect(answers.slice(0, 3).map((a) => a.headers.connection)).toEqual(["close", "close", "close"]);
    expect(streamHead).toBe("keep-alive");
    // Every connection is closed by the server: the idle one at once, the others after their answer.
    const closedAt = await Promise.all(clients.map((c) => c.closedByServer()));
    expect(closedAt[4]! - sigtermAt).toBeLessThan(SLOW_MS);
    for (let i = 0; i < 4; i++) expect(closedAt[i]! - answers[i]!.endedAt).toBeLessThan(200);
    expect(clients.map((c) => c.connections)).toEqual([1, 1, 1, 1, 1]);
    for (const at of await Promise.all(raw.map((r) => r.closed))) expect(at - sigtermAt).toBeLessThan(SLOW_MS);

    expect(code).toBe(0);
    const afterLastAnswer = exitAt - lastAnswerAt;
    process.stdout.write(`shutdown: SIGTERM→last answer ${lastAnswerAt - sigtermAt} ms, last answer→exit ${afterLastAnswer} ms\n`);
    expect(afterLastAnswer).toBeLessThan(1000);

    // The request-log flush happened before the exit: every request's row is already there.
    const ids = [...warm, ...answers].map((a) => a.headers["x-request-id"]);
    const rows = await pool.query<{ request_id: string }>("SELECT request_id FROM audit.request_logs WHERE request_id = ANY($1)", [ids]);
    expect(rows.rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
  } finally {
    clients.forEach((c) => c.destroy());
    raw.forEach((r) => r.destroy());
    await pool.end();
    await stack.stop();
    await upstream.close();
  }
}, 60000);
