import { handleSignals, startRunner, type Config, type Runner } from "@datahub/runtime";
import { currentTelemetry } from "@datahub/runtime/telemetry";
import { ALL_MODULES } from "./modules";
import { startServicesThread, type ServicesThread } from "./services-thread-host";
import { threadSplit } from "./services-thread-protocol";

/**
 * `datahub start`: runs the targeted services until SIGTERM/SIGINT, then shuts down gracefully.
 *
 * When the edge shares the process with other services (`DATAHUB_TARGET=all` on a laptop), those
 * services run on a worker thread: Node gives one event loop one core, and a single loop running
 * the edge *and* the services was the throughput limit (docs/architecture.md, "Services thread").
 * `DATAHUB_SERVICES_THREAD=false` keeps everything on one loop.
 */
export async function start(config: Config): Promise<void> {
  const { threaded, others } = threadSplit(config);
  let services: ServicesThread | undefined;
  if (threaded) services = await startServicesThread({ ...config, targets: others });

  let runner: Runner;
  try {
    runner = await startRunner({
      config: threaded ? { ...config, targets: ["edge"] } : config,
      modules: ALL_MODULES,
      metricsSources: services ? [services.metrics] : [],
    });
  } catch (err) {
    await services?.stop();
    throw err;
  }
  if (services) {
    const thread = services;
    runner.health.addCheck("services-thread", () => thread.ready());
    const stopEdge = runner.stop;
    const reloadEdge = runner.reload;
    // The edge drains and flushes its request log first; the services it talks to stop after.
    runner = { ...runner, stop: async () => (await stopEdge(), await thread.stop()), reload: async () => (await reloadEdge(), await thread.reload()) };
  }
  handleSignals(runner);

  const edge = runner.modules.get("edge")?.info;
  const scheme = config.tls ? "https" : "http";
  const host = config.bindHost === "0.0.0.0" || config.bindHost === "::" ? "127.0.0.1" : config.bindHost;
  runner.logger.info(
    { targets: config.targets, servicesThread: threaded, tracing: currentTelemetry()?.settings.enabled ? "on" : `off (${currentTelemetry()?.settings.reason ?? "not started"})`, grpcPort: services?.grpcPort ?? runner.ports.grpc, metricsPort: runner.ports.metrics, edgePort: edge?.port },
    "datahub started",
  );
  if (edge?.port) process.stdout.write(`\nDataHub edge listening on ${scheme}://${host}:${edge.port}\n\n`);
}
