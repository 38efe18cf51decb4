/**
 * `datahub echo`: a tiny upstream for the quick start and its walkthrough. It answers every
 * request with what it received (method, path, query, headers, body), so a user can see what the
 * gateway forwards (X-DataHub-Key-Id, X-Request-Id, ...) without an internet connection. It is a
 * separate, opt-in command: `datahub start` never runs it, so no deployment serves it by accident.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { parseArgs } from "node:util";
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

/** `datahub echo [--port 9000] [--host 127.0.0.1]`: serves until SIGINT/SIGTERM, then exits 0. */
export async function echoCommand(args: string[]): Promise<number> {
  let values: { port?: string; host?: string };
  try {
    ({ values } = parseArgs({ args, options: { port: { type: "string" }, host: { type: "string" } }, strict: true }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const port = Number(values.port ?? "9000");
  if (!/^\d+$/.test(values.port ?? "9000") || port > 65535) throw new UsageError(`--port: expected 0-65535, got "${values.port}"`);
  const server = await startEchoServer({ port, host: values.host });
  process.stdout.write(`datahub echo: answering on ${server.url} with what each request carried\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  return 0;
}
