import { parseArgs } from "node:util";
import { createLogger, generateApiKey, loadConfig, type Config, type Logger } from "@datahub/runtime";
import { migrateAuth, openKeyAdmin } from "@datahub/auth";
import { migrateAudit } from "@datahub/audit";
import { migrateWebhooks } from "@datahub/webhooks";
import { configCommand } from "./commands/config-validate";
import { echoCommand } from "./commands/echo";
import { start } from "./start";
import { HELP, UsageError } from "./usage";

/**
 * Runs one `datahub` command. Returns the exit code for commands that finish; `start` keeps
 * the process alive until a signal.
 */
export async function runCli(argv: string[]): Promise<number | undefined> {
  const [cmd, sub, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  if (cmd === "--version" || cmd === "-v") {
    process.stdout.write("datahub 0.1.0\n");
    return 0;
  }
  if (cmd === "keys" && sub === "generate-root") {
    process.stdout.write(generateApiKey("dhr") + "\n");
    return 0;
  }
  // The echo upstream needs no configuration: it must run where DataHub's own environment is not set up.
  if (cmd === "echo") return echoCommand(argv.slice(1));
  // Config first: a bad environment stops every command with one line naming the variable.
  const config = loadConfig();
  switch (cmd) {
    case "start":
      await start(config);
      return undefined;
    case "migrate":
      return migrateAll(config, cliLogger(config));
    case "orgs":
      return orgs(config, sub, rest);
    case "keys":
      return keys(config, sub, rest);
    case "config":
      return configCommand(config, sub, rest);
    default:
      throw new UsageError(`unknown command "${cmd}"; see datahub --help`);
  }
}

function cliLogger(config: Config): Logger {
  return createLogger({ level: config.logLevel === "info" ? "warn" : config.logLevel, base: { service: "cli" } });
}

async function migrateAll(config: Config, logger: Logger): Promise<number> {
  const applied = [...(await migrateAuth(config, logger)), ...(await migrateAudit(config, logger)), ...(await migrateWebhooks(config, logger))];
  process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(", ")}\n` : "database is up to date\n");
  return 0;
}

async function withAdmin<T>(config: Config, fn: (admin: Awaited<ReturnType<typeof openKeyAdmin>>) => Promise<T>): Promise<T> {
  const admin = await openKeyAdmin(config, cliLogger(config));
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

async function orgs(config: Config, sub: string | undefined, args: string[]): Promise<number> {
  if (sub === "create") {
    const name = args[0];
    if (!name) throw new UsageError("usage: datahub orgs create <name>");
    await withAdmin(config, async ({ keys }) => print(await keys.createOrg(name)));
    return 0;
  }
  if (sub === "list") {
    await withAdmin(config, async ({ keys }) => print({ data: await keys.listOrgs() }));
    return 0;
  }
  throw new UsageError("usage: datahub orgs create <name> | datahub orgs list");
}

function parseRateLimit(v: string | undefined) {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m) throw new UsageError(`--rate-limit: expected <limit>/<windowSeconds>, e.g. 100/60, got "${v}"`);
  return { limit: Number(m[1]), windowSeconds: Number(m[2]), algorithm: "" as const };
}

async function keys(config: Config, sub: string | undefined, args: string[]): Promise<number> {
  const parse = (options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>) => {
    try {
      return parseArgs({ args, options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  if (sub === "create") {
    const { values } = parse({
      org: { type: "string" },
      name: { type: "string" },
      scopes: { type: "string" },
      "expires-at": { type: "string" },
      "rate-limit": { type: "string" },
    });
    if (!values.org || !values.name) throw new UsageError("usage: datahub keys create --org <id> --name <name> [--scopes a,b]");
    const expires = values["expires-at"] as string | undefined;
    const expiresAt = expires === undefined ? undefined : new Date(expires);
    if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires-at: expected an ISO-8601 time, got "${expires}"`);
    const issued = await withAdmin(config, ({ keys }) =>
      keys.createKey({
        orgId: values.org as string,
        name: values.name as string,
        scopes: ((values.scopes as string | undefined) ?? "").split(",").map((s) => s.trim()).filter(Boolean),
        expiresAt,
        rateLimit: parseRateLimit(values["rate-limit"] as string | undefined),
      }),
    );
    print({ ...issued.apiKey, key: issued.key });
    process.stderr.write("This is the only time the key is shown. Store it now.\n");
    return 0;
  }
  if (sub === "list") {
    const { values } = parse({ org: { type: "string" }, limit: { type: "string" }, cursor: { type: "string" } });
    if (!values.org) throw new UsageError("usage: datahub keys list --org <id>");
    const page = await withAdmin(config, ({ keys }) =>
      keys.listKeys(values.org as string, { limit: values.limit ? Number(values.limit) : undefined, cursor: values.cursor as string | undefined }),
    );
    print({ data: page.keys, nextCursor: page.nextCursor || null });
    return 0;
  }
  if (sub === "revoke") {
    const { values, positionals } = parse({ org: { type: "string" } });
    if (!values.org || !positionals[0]) throw new UsageError("usage: datahub keys revoke <keyId> --org <id>");
    await withAdmin(config, ({ keys }) => keys.revokeKey(values.org as string, positionals[0]!));
    process.stdout.write(`revoked ${positionals[0]}\n`);
    return 0;
  }
  throw new UsageError("usage: datahub keys create|list|revoke|generate-root (see datahub --help)");
}
