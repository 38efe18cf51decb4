/**
 * HTTPS clients for the load-balancer tests: single requests, and steady load from a few
 * keep-alive clients. Every request leaves from a chosen loopback address (Linux routes all of
 * 127.0.0.0/8 to lo), so the tests can tell the client's address from the balancer's.
 */
import { Agent, request, type AgentOptions } from "node:https";
import type { IncomingHttpHeaders } from "node:http";

/** One answer. */
export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Where and how to connect: the balancer's CA (its self-signed certificate) and the local address. */
export interface ClientOptions {
  ca: string;
  localAddress: string;
  /** TLS versions the client offers (default: whatever node offers, 1.2 and 1.3). */
  minVersion?: AgentOptions["minVersion"];
  maxVersion?: AgentOptions["maxVersion"];
}

/** GET `url` on `agent` (or a fresh connection); network and TLS errors reject. */
export function httpsGet(url: string, opts: ClientOptions & { agent?: Agent; headers?: Record<string, string> }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "GET",
        headers: opts.headers,
        agent: opts.agent ?? false,
        ca: opts.ca,
        localAddress: opts.localAddress,
        minVersion: opts.minVersion,
        maxVersion: opts.maxVersion,
        timeout: 10000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out after 10 s")));
    req.on("error", reject);
    req.end();
  });
}

/** What a load run saw. */
export interface LoadResult {
  requests: number;
  /** Answers by status code. */
  statuses: Record<number, number>;
  /** Non-2xx answers and errors, first ones only (`status path` or the error message). */
  failures: string[];
  failed: number;
  /** Connections the clients opened (keep-alive: far fewer than requests). */
  connections: number;
}

/**
 * `clients` keep-alive clients, each sending GET `path` (with `headers`) and pausing `pauseMs`
 * after each answer, until `stop()`; resolves with every outcome once the requests in flight have
 * ended. The pause leaves CPU to the processes under test on a small machine.
 */
export function startLoad(
  baseUrl: string,
  path: string,
  opts: ClientOptions & { clients: number; pauseMs: number; headers?: Record<string, string> },
): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { requests: 0, statuses: {}, failures: [], failed: 0, connections: 0 };
  let running = true;
  const agents: Agent[] = [];
  const fail = (what: string) => {
    result.failed++;
    if (result.failures.length < 20) result.failures.push(what);
  };
  const loops = Array.from({ length: opts.clients }, async (_, i) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: opts.ca, localAddress: opts.localAddress });
    agents.push(agent);
    const counted = new WeakSet<object>();
    for (let n = 0; running; n++) {
      const url = `${baseUrl}${path}?client=${i}&n=${n}`;
      try {
        const answer = await new Promise<HttpsAnswer>((resolve, reject) => {
          const req = request(url, { agent, headers: opts.headers, ca: opts.ca, localAddress: opts.localAddress, timeout: 10000 }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
            res.on("error", reject);
          });
          req.on("socket", (s) => {
            if (!counted.has(s)) (counted.add(s), result.connections++);
          });
          req.on("timeout", () => req.destroy(new Error("request timed out after 10 s")));
          req.on("error", reject);
          req.end();
        });
        result.requests++;
        result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
        if (answer.status < 200 || answer.status > 299) fail(`${answer.status} ${url}: ${answer.body.slice(0, 200)}`);
      } catch (e) {
        result.requests++;
        fail(`error ${url}: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agents.forEach((a) => a.destroy());
      return result;
    },
  };
}
