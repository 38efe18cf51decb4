import { handleSignals, startRunner, type Config } from "@datahub/runtime";
import { ALL_MODULES } from "./modules";

/**
 * `datahub start`: runs the targeted services in this process until SIGTERM/SIGINT, then shuts
 * down gracefully. Prints the edge URL when the edge runs here.
 */
export async function start(config: Config): Promise<void> {
  const runner = await startRunner({ config, modules: ALL_MODULES });
  handleSignals(runner);
  const edge = runner.modules.get("edge")?.info;
  const scheme = config.tls ? "https" : "http";
  const host = config.bindHost === "0.0.0.0" || config.bindHost === "::" ? "127.0.0.1" : config.bindHost;
  runner.logger.info(
    { targets: config.targets, grpcPort: runner.ports.grpc, metricsPort: runner.ports.metrics, edgePort: edge?.port },
    "datahub started",
  );
  if (edge?.port) process.stdout.write(`\nDataHub edge listening on ${scheme}://${host}:${edge.port}\n\n`);
}
