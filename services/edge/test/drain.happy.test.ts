/**
 * The edge server's drain (src/drain.ts) over HTTP and HTTPS: close() answers the request in flight
 * with `Connection: close`, closes idle and request-less connections at once, and resolves right
 * after the last answer although its timeout is 20 s.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@datahub/runtime";
import { testEnv, uniqueSuffix } from "@datahub/runtime/testing";
import type { EdgeRequest, EdgeResponse } from "../src/exchange";
import type { RequestLog } from "../src/request-log";
import { startEdgeServer } from "../src/server";

const ANSWER_MS = 300;

function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "edge-drain-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
  return { cert, key };
}

/** `/slow` answers after ANSWER_MS, anything else at once. */
function handler(req: EdgeRequest, res: EdgeResponse): void {
  const answer = () => res.writeHead(200, { "content-type": "text/plain", "content-length": "2" }).end("ok");
  if (req.url === "/slow") setTimeout(answer, ANSWER_MS);
  else answer();
}

it.each([["http"], ["https"]])("%s: in flight answered with Connection: close, the rest closed at once, close() resolves after the answer", async (scheme) => {
  const tls = scheme === "https";
  const extra: Record<string, string> = {};
  if (tls) ({ cert: extra.DATAHUB_TLS_CERT, key: extra.DATAHUB_TLS_KEY } = selfSignedCert());
  const env = await testEnv({ databaseUrl: "postgres://unused", redisPrefix: `drain${uniqueSuffix()}`, extra });
  const server = await startEdgeServer({ config: loadConfig(env), handler, requestLog: { write() {} } as unknown as RequestLog, security: {} });
  const request = tls ? httpsRequest : httpRequest;
  const agentOf = () => (tls ? new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false }) : new HttpAgent({ keepAlive: true, maxSockets: 1 }));
  const get = (agent: HttpAgent, path: string) =>
    new Promise<{ res: IncomingMessage; socket: Socket; endedAt: number }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: server.port, path, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ res, socket: req.socket as Socket, endedAt: Date.now() }));
      });
      req.on("error", reject);
      req.end();
    });
  const closedAt = (s: Socket) => new Promise<number>((r) => (s.destroyed ? r(Date.now()) : s.once("close", () => r(Date.now()))));
  const busy = agentOf();
  const idle = agentOf();
  try {
    const warm = await get(busy, "/");
    const idleAnswer = await get(idle, "/");
    expect(warm.res.headers.connection).toBe("keep-alive");
    const raw = tls ? tlsConnect({ host: "127.0.0.1", port: server.port, rejectUnauthorized: false }) : netConnect(server.port, "127.0.0.1");
    raw.on("error", () => undefined);
    await new Promise((r) => raw.once(tls ? "secureConnect" : "connect", r));

    const inFlight = get(busy, "/slow");
    await new Promise((r) => setTimeout(r, ANSWER_MS / 3));
    const startedAt = Date.now();
    const closing = server.close(20_000).then(() => Date.now());

    const [idleClosed, rawClosed] = await Promise.all([closedAt(idleAnswer.socket), closedAt(raw as Socket)]);
    expect(idleClosed - startedAt).toBeLessThan(ANSWER_MS / 2);
    expect(rawClosed - startedAt).toBeLessThan(ANSWER_MS / 2);
    const answer = await inFlight;
    expect(answer.res.statusCode).toBe(200);
    expect(answer.res.headers.connection).toBe("close");
    expect((await closedAt(answer.socket)) - answer.endedAt).toBeLessThan(100);
    expect((await closing) - answer.endedAt).toBeLessThan(100);
  } finally {
    busy.destroy();
    idle.destroy();
    server.server.closeAllConnections();
  }
});
