/**
 * `datahub echo`: a tiny upstream for the quick start and its walkthrough. It answers every
 * request with what it received (method, path, query, headers, body), so a user can see what the
 * gateway forwards (X-DataHub-Key-Id, X-Request-Id, ...) without an internet connection. It is a
 * separate, opt-in command: `datahub start` never runs it, so no deployment serves it by accident.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Command } from "commander";
import { UsageError } from "../usage";

/** Bodies are echoed up to this size; the rest is dropped (and counted) to keep replies small. */
const MAX_ECHO_BODY_BYTES = 64 * 1024;

/** What the echo server answers, as JSON. */
export interface EchoReply {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bodyBytes: number;
}

/** A running echo server. */
export interface EchoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function queryOf(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(name);
    out[name] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

async function reply(req: IncomingMessage): Promise<EchoReply> {
  const chunks: Buffer[] = [];
  let bodyBytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (bodyBytes < MAX_ECHO_BODY_BYTES) chunks.push(chunk);
    bodyBytes += chunk.length;
  }
  const url = new URL(req.url ?? "/", "http://echo.invalid");
  return {
    method: req.method ?? "",
    path: url.pathname,
    query: queryOf(url),
    headers: req.headers,
    body: Buffer.concat(chunks).subarray(0, MAX_ECHO_BODY_BYTES).toString("utf8"),
    bodyBytes,
  };
}

/** Starts an echo server on `host:port` (port 0: any free port). */
export async function startEchoServer(opts: { port: number; host?: string }): Promise<EchoServer> {
  const server: Server = createServer((req, res) => {
    reply(req).then(
      (body) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body, null, 2) + "\n"),
      () => res.writeHead(400).end(),
    );
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => (server.off("error", reject), resolve()));
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/**
 * `datahub echo [--port 9000] [--host 127.0.0.1]`: serves until SIGINT/SIGTERM, then exits 0. It
 * reads no DataHub configuration: it must run where DataHub's own environment is not set up.
 */
export function registerEcho(program: Command): void {
  program
    .command("echo")
    .description("a demo upstream that answers with the request it received (the quick start's; never part of `datahub start`)")
    .option("--port <port>", "port to listen on", "9000")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .action(async (opts: { port: string; host: string }) => {
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new UsageError(`--port: expected 0-65535, got "${opts.port}"`);
      const server = await startEchoServer({ port, host: opts.host });
      process.stdout.write(`datahub echo: answering on ${server.url} with what each request carried\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.close();
    });
}
