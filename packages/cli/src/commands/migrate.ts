import type { Command } from "commander";
import { note, printJson, printLine, printTable } from "../output";

/**
 * `datahub migrate` applies every service's pending migrations (creating the database when it does
 * not exist), one line per migration; `datahub migrate status` only reads which are applied.
 */
export function registerMigrate(program: Command): void {
  const migrate = program
    .command("migrate")
    .description("apply every service's pending database migrations, one line per migration")
    .addHelpText("after", "\nCreates the database named in DATABASE_URL when it does not exist. Safe to run again: applied migrations are skipped.")
    .action(async () => {
      const { loadConfig } = await import("@datahub/runtime/config");
      const { migrate: apply } = await import("@datahub/runtime");
      const { cliLogger } = await import("../cli-logger");
      const { serviceMigrations } = await import("../migrations");
      const config = loadConfig();
      const logger = await cliLogger(config);
      let count = 0;
      for (const m of await serviceMigrations(config)) {
        const applied = await apply({ databaseUrl: m.databaseUrl, schema: m.schema, dir: m.dir, logger });
        for (const name of applied) printLine(`applied ${m.service} ${name}`);
        count += applied.length;
      }
      printLine(count ? `${count} migration(s) applied; the database is up to date` : "nothing to apply: the database is up to date");
    });

  migrate
    .command("status")
    .description("list applied and pending migrations of every service, without applying or creating anything")
    .option("--json", "print [{service, name, applied, runOn}] as JSON")
    .action(async (opts: { json?: boolean }) => {
      const { loadConfig } = await import("@datahub/runtime/config");
      const { migrationStatus } = await import("@datahub/runtime");
      const { serviceMigrations } = await import("../migrations");
      const rows = [];
      for (const m of await serviceMigrations(loadConfig())) {
        for (const s of await migrationStatus({ databaseUrl: m.databaseUrl, schema: m.schema, dir: m.dir })) rows.push({ service: m.service, ...s });
      }
      if (opts.json) return printJson(rows);
      printTable(rows, [
        ["SERVICE", (r) => r.service],
        ["MIGRATION", (r) => r.name],
        ["STATE", (r) => (r.applied ? "applied" : "pending")],
        ["APPLIED AT", (r) => r.runOn?.toISOString()],
      ]);
      const pending = rows.filter((r) => !r.applied).length;
      note(pending ? `${pending} pending: run \`datahub migrate\`` : "the database is up to date");
    });
}
