/**
 * `datahub config validate [file]`: checks a datahub.yaml exactly as the edge does at start-up
 * and reload (same schema, same rate-limit caps, same messages), without starting anything.
 * Exit codes: 0 valid, 65 invalid (one line per problem on stderr), 66 the file cannot be read.
 */
import type { Command } from "commander";
import type { Config } from "@datahub/runtime";
import { CommandExit, EXIT } from "../exit-codes";

/** Adds `datahub config validate [file]`. */
export function registerConfig(program: Command): void {
  const config = program.command("config").description("check DataHub's configuration files");
  config
    .command("validate [file]")
    .description("check a datahub.yaml as start-up does (default: DATAHUB_CONFIG, else ./datahub.yaml); one line per problem on stderr")
    .action(async (file?: string) => {
      // Loaded here, not at the top: every other command would pay for the edge's modules.
      const { loadConfig } = await import("@datahub/runtime/config");
      const code = await validateRoutesFile(loadConfig(), file);
      if (code !== EXIT.ok) throw new CommandExit(code);
    });
}

/** Validates `file` (or the configured one); prints the verdict and returns the exit code. */
export async function validateRoutesFile(config: Config, fileArg: string | undefined): Promise<number> {
  const { loadRoutesConfig, RoutesConfigError } = await import("@datahub/edge");
  const file = fileArg ?? config.configPath ?? "datahub.yaml";
  try {
    const routes = await loadRoutesConfig(
      file,
      { maxLogLimit: config.ratelimit.maxLogLimit, defaultAlgorithm: config.ratelimit.defaultAlgorithm },
      config.console.enabled ? config.console.path : undefined,
    );
    process.stdout.write(`${file}: valid (${routes.routes.length} route${routes.routes.length === 1 ? "" : "s"})\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof RoutesConfigError)) throw err;
    for (const problem of err.problems) process.stderr.write(`datahub: ${problem}\n`);
    return err.readError ? EXIT.noInput : EXIT.badInput;
  }
}
