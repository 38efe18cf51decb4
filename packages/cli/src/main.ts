import { ConfigError, ListenError } from "@datahub/runtime";
import { RoutesConfigError } from "@datahub/edge";
import { runCli } from "./cli";
import { UsageError } from "./usage";

runCli(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    // Operator-facing errors are one line, no stack trace (docs/reference/configuration.md, "How values are read").
    // A bad datahub.yaml is configuration too: same line as `datahub config validate` prints.
    const badConfig = err instanceof ConfigError || err instanceof RoutesConfigError;
    const known = badConfig || err instanceof UsageError || err instanceof ListenError;
    const message = known ? (err as Error).message : `error: ${(err as Error)?.message ?? String(err)}`;
    process.stderr.write(`datahub: ${message}\n`);
    // What started was stopped before the error got here; a client library's leftover timer or
    // socket must not keep a failed process alive, or no supervisor restarts it.
    process.exit(err instanceof UsageError ? 64 : badConfig ? 78 : 1);
  },
);
