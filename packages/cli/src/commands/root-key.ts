import type { Command } from "commander";
import { printJson, printLine, note } from "../output";

/**
 * Root key commands that work without a running edge: `keys generate-root` (a value for
 * DATAHUB_ROOT_KEY; lives under `keys`, see keys.ts) and `root-key reset`, straight against the
 * database for the case the API cannot help with: the root key is lost.
 */
export function registerRootKey(program: Command): void {
  const group = program.command("root-key").description("recover from a lost root key (straight against the database)");
  group
    .command("reset")
    .description("revoke every working root key and print a new one (for a LOST root key; otherwise rotate it over the API)")
    .option("--json", "print {keyId, key, revokedKeyIds} as JSON")
    .addHelpText(
      "after",
      `
Run it where DATABASE_URL and REDIS_URL reach the production database (e.g. inside the auth pod).
Running edges stop accepting the old root key within a second. The new key is printed once on
stdout: put it in your secret store and in the datahub-root-key Secret. See docs/operations.md,
"Rotate secrets". With a working root key, prefer \`datahub keys rotate <root key id>\` over HTTP.`,
    )
    .action(async (opts: { json?: boolean }) => {
      const { loadConfig } = await import("@datahub/runtime/config");
      const { cliLogger } = await import("../cli-logger");
      const { resetRootKey } = await import("@datahub/auth");
      const config = loadConfig();
      const reset = await resetRootKey(config, await cliLogger(config));
      if (opts.json) printJson(reset);
      else {
        note(`revoked ${reset.revokedKeyIds.length} root key(s)${reset.revokedKeyIds.length ? `: ${reset.revokedKeyIds.join(", ")}` : ""}; new root key ${reset.keyId}:`);
        printLine(reset.key);
        note("This is the only time the key is shown. Store it now.");
      }
    });
}
