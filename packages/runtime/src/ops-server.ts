import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import type { Health } from "./health";
import { listenOn } from "./listen";
import { renderMetrics, type MetricsSource } from "./metrics";

/**
 * The operations endpoint of a process (`DATAHUB_METRICS_PORT`): `/metrics` (Prometheus text),
 * `/healthz` (liveness: the event loop answers) and `/readyz` (readiness, with each check).
 * Rejects with a `ListenError` when the port cannot be bound.
 */
export async function startOpsServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  health: Health;
  /** Metrics kept elsewhere in this process (the services thread), merged into `/metrics`. */
  metricsSources?: MetricsSource[];
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      renderMetrics(opts.registry, opts.metricsSources ?? []).then(
        (text) => res.writeHead(200, { "content-type": opts.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    } else if (path === "/readyz") {
      opts.health.report().then(({ ready, checks }) => {
        res
          .writeHead(ready ? 200 : 503, { "content-type": "application/json" })
          .end(JSON.stringify({ status: ready ? "ready" : opts.health.isDraining ? "draining" : "not ready", checks }));
      });
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not found"}');
    }
  });
  const port = await listenOn(server, "DATAHUB_METRICS_PORT", opts.host, opts.port);
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
