/**
 * Runs the management API behind a plain node:http server on 127.0.0.1:0, standing in for the
 * edge pipeline: it assigns the request id, sets the principal the test chose, and calls the API.
 * Tests talk to it with real HTTP (fetch).
 */
import { RouteTable } from "../../src/proxy/route-table";
import { parseRoutesConfig } from "../../src/proxy/routes-config";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { webhooks as webhooksProto } from "@datahub/proto";
import { createRpcClient, requestIdFrom } from "@datahub/runtime";
import { captureLogger, testConfig, TEST_CREDENTIALS } from "@datahub/runtime/testing";
import type { Principal, RequestContext } from "../../src/context";
import { createManagementApi } from "../../src/api";
import { FakeAudit, FakeAuth } from "./api-fakes";
import { startFakeWebhooks, type FakeWebhooks, type FakeWebhooksServer } from "./webhooks-fake";

/** A running API with its fakes, captured logs and the contexts of the requests it served. */
export interface ApiHarness {
  url: string;
  auth: FakeAuth;
  audit: FakeAudit;
  /** The in-memory WebhookService the API reaches over real gRPC. */
  webhooks: FakeWebhooks;
  /** Its server: `stop()` simulates the webhooks service being down. */
  webhooksServer: FakeWebhooksServer;
  logs: ReturnType<typeof captureLogger>;
  /** Contexts of served requests, in arrival order (to assert `route` and `error`). */
  contexts: RequestContext[];
  /** Org and principal of the root key. */
  rootOrgId: string;
  root: Principal;
  /** Sets who the next requests are authenticated as. */
  as(p: Principal): void;
  /** fetch against the API with a JSON body when `json` is given. */
  call(method: string, path: string, opts?: { json?: unknown; body?: string; headers?: Record<string, string> }): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** A response with its body read (parsed when JSON). */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/**
 * Starts the API with fresh fakes; `env` overrides config (e.g. `DATAHUB_MAX_BODY_BYTES`),
 * `opts.routes` is the datahub.yaml the route table comes from.
 */
export async function startApi(env: Record<string, string> = {}, opts: { routes?: string } = {}): Promise<ApiHarness> {
  const auth = new FakeAuth();
  const audit = new FakeAudit();
  const logs = captureLogger("debug");
  const config = testConfig({ LOG_LEVEL: "debug", ...env });
  const webhooksServer = await startFakeWebhooks();
  const webhooksClient = createRpcClient(webhooksProto.WebhookService, webhooksServer.address, { timeoutMs: config.rpcTimeoutMs, credentials: TEST_CREDENTIALS });
  const routes = { current: new RouteTable(parseRoutesConfig(opts.routes ?? "routes: []\n")) };
  const api = createManagementApi({ auth: auth.client(), audit: audit.client(), webhooks: webhooksClient, config, logger: logs.logger, routes });

  const rootOrg = auth.seedOrg("root");
  const rootKey = auth.seedKey(rootOrg.id, ["*"], { root: true, name: "root" });
  const root: Principal = { keyId: rootKey.apiKey.id, orgId: rootOrg.id, scopes: ["*"], root: true };
  let principal = root;
  const contexts: RequestContext[] = [];

  const server: Server = createServer((req, res) => {
    const ctx: RequestContext = {
      requestId: requestIdFrom(req.headers["x-request-id"]),
      startedAt: process.hrtime.bigint(),
      receivedAtMs: Date.now(),
      clientIp: req.socket.remoteAddress ?? "",
      principal,
      route: "",
      upstreamNs: 0n,
    };
    contexts.push(ctx);
    res.setHeader("x-request-id", ctx.requestId);
    api(req, res, ctx);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    auth,
    audit,
    webhooks: webhooksServer.fake,
    webhooksServer,
    logs,
    contexts,
    rootOrgId: rootOrg.id,
    root,
    as(p) {
      principal = p;
    },
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      let body = opts.body;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      webhooksClient.close();
      await webhooksServer.stop();
    },
  };
}

/** A non-root principal of `orgId` holding `scopes`, backed by a real key in the fake. */
export function orgPrincipal(h: ApiHarness, orgId: string, scopes: string[]): Principal {
  const { apiKey } = h.auth.seedKey(orgId, scopes, { name: `caller ${scopes.join(" ")}` });
  return { keyId: apiKey.id, orgId, scopes, root: false };
}
