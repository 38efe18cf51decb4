import { Command, CommanderError } from "commander";
import { CLI_VERSION } from "./api";
import { EXIT } from "./exit-codes";
import { registerConfig } from "./commands/config-validate";
import { registerEcho } from "./commands/echo";
import { registerEvents } from "./commands/events";
import { registerKeys } from "./commands/keys";
import { registerLogs } from "./commands/logs";
import { registerMigrate } from "./commands/migrate";
import { registerOrgs } from "./commands/orgs";
import { registerRootKey } from "./commands/root-key";
import { registerStart } from "./commands/start";
import { registerUsage } from "./commands/usage";
import { registerWebhooks } from "./commands/webhooks";

const FOOTER = `
Commands that manage orgs, keys, webhooks, events, logs and usage talk to a running edge over its
HTTP API: set DATAHUB_URL (e.g. http://127.0.0.1:8080) and DATAHUB_API_KEY, or pass --url/--key.
start, migrate and root-key read the service configuration (DATABASE_URL, REDIS_URL, DATAHUB_*);
variables the environment leaves unset are read from .datahub.env at the repository root.

Exit codes: 0 ok, 1 failure, 64 usage error, 65 request refused by the API (4xx) or an invalid
file (config validate), 66 unreadable file, 69 edge unavailable (unreachable, 502/503/504, 429),
78 configuration error.
Reference: docs/reference/cli.md`;

/**
 * The `datahub` command tree. Each command group lives in its own file under ./commands and adds
 * itself with a `register…(program)` function; a new group is one more call here.
 */
export function createProgram(): Command {
  const program = new Command("datahub")
    .description("DataHub — API gateway: API keys, rate limiting, request logs, webhooks")
    .version(`datahub ${CLI_VERSION}`, "-v, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .helpCommand("help [command]", "show help for a command")
    .addHelpText("after", FOOTER)
    // Commander's errors become exceptions (mapped to exit codes below) instead of process.exit.
    .exitOverride()
    .configureOutput({
      // One line, same prefix as every other error of the CLI.
      outputError: (text, write) => write(`datahub: ${text.replace(/^error: /, "").trim().replace(/\s*\n\s*/g, " ")}\n`),
    })
    .showSuggestionAfterError(true);
  // Settings above are inherited by every subcommand created after this point.
  registerStart(program);
  registerMigrate(program);
  registerRootKey(program);
  registerOrgs(program);
  registerKeys(program);
  registerWebhooks(program);
  registerEvents(program);
  registerLogs(program);
  registerUsage(program);
  registerConfig(program);
  registerEcho(program);
  return program;
}

/**
 * Runs one `datahub` command line. Resolves with the exit code of a command that is done, or
 * undefined for one that keeps the process running (`start`); rejects with the error that ended a
 * command (main.ts maps it to an exit code).
 */
export async function runCli(argv: string[]): Promise<number | undefined> {
  const program = createProgram();
  let keepAlive = false;
  program.hook("preAction", (_root, action) => void (keepAlive = action.name() === "start"));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // --help, `help <command>` and --version print and succeed. A group called without its
    // subcommand printed its help to stderr ("commander.help" with exit code 1); everything else
    // was printed as one line by outputError above.
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT.ok;
    if (err.code === "commander.help" && err.exitCode === 0) return EXIT.ok;
    return EXIT.usage;
  }
  return keepAlive ? undefined : EXIT.ok;
}
