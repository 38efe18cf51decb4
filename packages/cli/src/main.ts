import { ConfigError } from "@datahub/runtime";
import { runCli } from "./cli";
import { UsageError } from "./usage";

runCli(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    // Operator-facing errors are one line, no stack trace (docs/reference/configuration.md, "How values are read").
    const known = err instanceof ConfigError || err instanceof UsageError;
    const message = known ? (err as Error).message : `error: ${(err as Error)?.message ?? String(err)}`;
    process.stderr.write(`datahub: ${message}\n`);
    process.exitCode = err instanceof UsageError ? 64 : err instanceof ConfigError ? 78 : 1;
  },
);
