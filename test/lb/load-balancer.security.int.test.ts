/**
 * The security side of DataHub behind the repository's HAProxy config: TLS 1.3 only, oversized
 * bodies stopped at the balancer, and client addresses. The edge believes the balancer's
 * X-Forwarded-For only when the balancer's address is in DATAHUB_TRUSTED_PROXIES: edge-1 trusts it
 * (127.0.0.3/32), edge-2 trusts nobody; the admin socket sends each request to the edge under test.
 */
import { connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { BALANCER_ADDR, CLIENT_ADDR, startLbStack, type LbStack } from "./support/lb-stack";
import { httpsGet } from "./support/https-client";

const SPOOFED = "203.0.113.7";

let stack: LbStack;
beforeAll(async () => {
  stack = await startLbStack([{ DATAHUB_TRUSTED_PROXIES: `${BALANCER_ADDR}/32` }, {}]);
}, 60000);
afterAll(async () => {
  await stack?.stop();
});

/** Routes every request to `server` (`edge-1` or `edge-2`) by putting the other in maintenance. */
async function only(server: "edge-1" | "edge-2"): Promise<void> {
  const other = server === "edge-1" ? "edge-2" : "edge-1";
  await stack.balancer.admin(`enable server edges/${server}`);
  await stack.balancer.waitFor(server, "UP");
  await stack.balancer.admin(`disable server edges/${other}`);
  await stack.balancer.waitFor(other, "MAINT");
}

/** GET `path` through the balancer with the test key and a client-written X-Forwarded-For. */
async function spoofed(path: string) {
  const r = await httpsGet(`${stack.balancer.url}${path}`, { ...stack.client, headers: { authorization: `Bearer ${stack.key}`, "x-forwarded-for": SPOOFED } });
  expect(r.status).toBe(200);
  return { log: await stack.logOf(String(r.headers["x-request-id"])), upstream: stack.upstream.seen.find((s) => s.url === path) };
}

describe("TLS at the balancer", () => {
  it("refuses a client that offers only TLS 1.2", async () => {
    await expect(httpsGet(`${stack.balancer.url}/healthz`, { ...stack.client, maxVersion: "TLSv1.2" })).rejects.toThrow(/protocol version|alert/i);
  });

  it("serves TLS 1.3", async () => {
    const r = await httpsGet(`${stack.balancer.url}/healthz`, { ...stack.client, minVersion: "TLSv1.3" });
    expect(r.status).toBe(200);
  });

  it("refuses a body above the edge's limit before it reaches an edge", async () => {
    const { port } = stack.balancer;
    const status = await new Promise<string>((resolve, reject) => {
      const tcp = tcpConnect({ host: "127.0.0.1", port, localAddress: CLIENT_ADDR });
      const socket = tlsConnect({ socket: tcp, ca: stack.client.ca, servername: "localhost" }, () => {
        socket.write(`POST /lb/upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${1048576 + 1}\r\n\r\n`);
      });
      let head = "";
      socket.setEncoding("utf8");
      socket.on("data", (d: string) => {
        head += d;
        if (head.includes("\r\n")) (resolve(head.split("\r\n")[0]!), socket.destroy());
      });
      socket.on("error", reject);
    });
    expect(status).toMatch(/^HTTP\/1\.1 413 /);
    expect(stack.upstream.seen.some((s) => s.url === "/lb/upload")).toBe(false);
  });
});

describe("client addresses", () => {
  it("behind a trusted balancer: the client's address, whatever X-Forwarded-For the client wrote", async () => {
    await only("edge-1");
    const { log, upstream } = await spoofed("/lb/trusted");
    expect(log.clientIp).toBe(CLIENT_ADDR);
    expect(upstream?.headers["x-forwarded-for"]).toBe(CLIENT_ADDR);
  });

  it("behind a balancer the edge does not trust: the balancer's address, and X-Forwarded-For is not believed", async () => {
    await only("edge-2");
    const { log, upstream } = await spoofed("/lb/untrusted");
    expect(log.clientIp).toBe(BALANCER_ADDR);
    expect(upstream?.headers["x-forwarded-for"]).toBe(BALANCER_ADDR);
  });

  it("a client reaching a trusting edge directly cannot claim another address", async () => {
    const edge = stack.fleet.edges[0]!;
    const r = await fetch(`http://${edge.addr}/lb/direct`, { headers: { authorization: `Bearer ${stack.key}`, "x-forwarded-for": SPOOFED } });
    expect(r.status).toBe(200);
    // fetch connects from 127.0.0.1, which is not a trusted proxy.
    expect((await stack.logOf(r.headers.get("x-request-id")!)).clientIp).toBe("127.0.0.1");
  });
});
