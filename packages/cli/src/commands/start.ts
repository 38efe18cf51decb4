import type { Command } from "commander";

/** `datahub start`: runs the services of DATAHUB_TARGET until SIGTERM/SIGINT. */
export function registerStart(program: Command): void {
  program
    .command("start")
    .description("run the services named by DATAHUB_TARGET (default: all) until SIGTERM/SIGINT")
    .addHelpText("after", "\nConfiguration is the environment (DATABASE_URL, REDIS_URL, DATAHUB_*): docs/reference/configuration.md")
    .action(async () => {
      // Loaded here, not at the top: only `start` needs the services, and loading them costs time.
      const { loadConfig } = await import("@datahub/runtime/config");
      const { start } = await import("../start");
      await start(loadConfig());
    });
}
