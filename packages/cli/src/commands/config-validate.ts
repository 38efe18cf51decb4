/**
 * `datahub config validate [file]`: checks a datahub.yaml exactly as the edge does at start-up
 * and reload (same schema, same rate-limit caps, same messages), without starting anything.
 * Exit codes: 0 valid, 65 invalid (one line per problem on stderr), 66 the file cannot be read.
 */
import type { Config } from "@datahub/runtime";
import { loadRoutesConfig, RoutesConfigError } from "@datahub/edge";
import { UsageError } from "../usage";

/** EX_DATAERR (sysexits.h): the file was read and is wrong. */
export const EXIT_INVALID = 65;
/** EX_NOINPUT: the file is missing or unreadable. */
export const EXIT_UNREADABLE = 66;

/** Runs `datahub config <sub> ...`; only `validate` exists. */
export async function configCommand(config: Config, sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== "validate" || args.length > 1 || args[0]?.startsWith("-")) throw new UsageError("usage: datahub config validate [file]");
  const file = args[0] ?? config.configPath ?? "datahub.yaml";
  try {
    const routes = await loadRoutesConfig(file, { maxLogLimit: config.ratelimit.maxLogLimit, defaultAlgorithm: config.ratelimit.defaultAlgorithm });
    process.stdout.write(`${file}: valid (${routes.routes.length} route${routes.routes.length === 1 ? "" : "s"})\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof RoutesConfigError)) throw err;
    for (const problem of err.problems) process.stderr.write(`datahub: ${problem}\n`);
    return err.readError ? EXIT_UNREADABLE : EXIT_INVALID;
  }
}
