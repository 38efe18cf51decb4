import { createServer, type Server } from "node:net";
import { GrpcHost } from "../src/grpc/server";
import { ListenError, listenError, listenOn } from "../src/listen";
import { createMetricsRegistry } from "../src/metrics";
import { captureLogger, TEST_INTERNAL_TOKEN } from "../src/testing";

/** RFC 5737 TEST-NET-1: never an address of this host. */
const FOREIGN = "192.0.2.1";

let taken: Server;
let port: number;

beforeAll(async () => {
  taken = createServer();
  port = await listenOn(taken, "TEST_PORT", "127.0.0.1", 0);
});

afterAll(() => taken.close());

describe("listenOn (node:net listeners: the edge and ops servers)", () => {
  it("rejects a port in use with a ListenError naming the variable, address and reason", async () => {
    const err = await listenOn(createServer(), "DATAHUB_EDGE_PORT", "127.0.0.1", port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenError);
    expect((err as ListenError).message).toBe(`DATAHUB_EDGE_PORT: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`);
  });

  it("names an address that is not on this host", async () => {
    const err = await listenOn(createServer(), "DATAHUB_METRICS_PORT", FOREIGN, 0).catch((e: unknown) => e);
    expect((err as ListenError).message).toBe(`DATAHUB_METRICS_PORT: cannot listen on ${FOREIGN}:0: address not available on this host (EADDRNOTAVAIL)`);
  });

  it("brackets IPv6 hosts and explains EACCES", () => {
    const err = listenError("DATAHUB_EDGE_PORT", "::", 80, Object.assign(new Error("listen EACCES: permission denied :::80"), { code: "EACCES" }));
    expect(err.message).toBe("DATAHUB_EDGE_PORT: cannot listen on [::]:80: permission denied (EACCES)");
  });
});

describe("GrpcHost.listen (grpc-js reports the errno only in its message)", () => {
  const host = () => new GrpcHost(captureLogger().logger, createMetricsRegistry(), { callers: { tokens: [TEST_INTERNAL_TOKEN] } });

  it("rejects a port in use with a ListenError naming DATAHUB_GRPC_PORT", async () => {
    const grpc = host();
    const err = await grpc.listen("127.0.0.1", port).catch((e: unknown) => e);
    expect((err as ListenError).message).toBe(`DATAHUB_GRPC_PORT: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`);
    grpc.server.forceShutdown();
  });

  it("names an address that is not on this host", async () => {
    const grpc = host();
    const err = await grpc.listen(FOREIGN, port).catch((e: unknown) => e);
    expect((err as ListenError).variable).toBe("DATAHUB_GRPC_PORT");
    expect((err as ListenError).reason).toBe("address not available on this host (EADDRNOTAVAIL)");
    grpc.server.forceShutdown();
  });
});
