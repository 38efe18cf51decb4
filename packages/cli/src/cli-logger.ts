import type { Config, Logger } from "@datahub/runtime";

/**
 * The logger of the database commands (`migrate`, `root-key reset`): warnings and errors only at
 * the default level, and on stderr, so stdout carries nothing but the command's result.
 */
export async function cliLogger(config: Config): Promise<Logger> {
  const { createLogger } = await import("@datahub/runtime");
  return createLogger({ level: config.logLevel === "info" ? "warn" : config.logLevel, base: { service: "cli" }, destination: process.stderr });
}
