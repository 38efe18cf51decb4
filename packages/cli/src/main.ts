import { runCli } from "./cli";
import { CommandExit, exitCodeFor, messageFor } from "./exit-codes";

runCli(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    // Operator-facing errors are one line on stderr, no stack trace; stdout stays for results.
    if (!(err instanceof CommandExit)) process.stderr.write(`datahub: ${messageFor(err)}\n`);
    // What started was stopped before the error got here; a client library's leftover timer or
    // socket must not keep a failed process alive, or no supervisor restarts it.
    process.exit(exitCodeFor(err));
  },
);
