/**
 * Worker-thread side of `datahub start` when the edge shares its process with other services:
 * the services (auth, ratelimit, audit, webhooks) run here on their own event loop, serving the
 * process's gRPC port, so a laptop's `DATAHUB_TARGET=all` uses a second core. The edge still
 * reaches them over loopback gRPC, exactly as in a split deployment.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ListenError, startRunner, type Config } from "@datahub/runtime";
import { ALL_MODULES } from "./modules";
import type { ThreadReply, ThreadRequest } from "./services-thread-protocol";

const port = parentPort!;
const config = workerData as Config;

try {
  // The parent serves /metrics and health for the whole process, and already waited out the
  // shutdown delay before it asks this thread to stop.
  const runner = await startRunner({ config: { ...config, shutdown: { ...config.shutdown, delayMs: 0 } }, modules: ALL_MODULES, serveOps: false });
  port.on("message", async (msg: ThreadRequest) => {
    const reply = (r: ThreadReply) => port.postMessage(r);
    if (msg.type === "metrics") reply({ type: "metrics", id: msg.id, metrics: await runner.registry.getMetricsAsJSON() });
    else if (msg.type === "health") reply({ type: "health", id: msg.id, ...(await runner.health.report()) });
    else if (msg.type === "reload") await runner.reload();
    else if (msg.type === "stop") {
      await runner.stop();
      reply({ type: "stopped", id: msg.id });
      port.close();
      // Everything is stopped: the thread ends now, not when a client library's leftover timer
      // does (ioredis keeps one for 2 s after closing a connection that was not ready).
      process.exit(0);
    }
  });
  port.postMessage({ type: "started", grpcPort: runner.ports.grpc } satisfies ThreadReply);
} catch (err) {
  const e = err as Error & { code?: string };
  // A port it cannot bind reaches the main thread as the same ListenError, for the same one line.
  const listen = err instanceof ListenError ? { variable: err.variable, address: err.address, reason: err.reason } : undefined;
  port.postMessage({ type: "failed", message: e.message, code: e.code, listen } satisfies ThreadReply);
}
