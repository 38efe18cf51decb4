/**
 * Imported by bin/datahub.js before anything else reads the environment: fills what the
 * environment leaves unset from `<repo>/.datahub.env` (or DATAHUB_ENV_FILE), so `npm start` and
 * `npx datahub …` reach the database that scripts/ensure-deps.sh set up, as the quick start does.
 */
import { loadEnvFile } from "@datahub/runtime/env-file";

try {
  loadEnvFile();
} catch (e) {
  // Same shape and exit code as a bad variable (ConfigError in main.ts): one line, EX_CONFIG.
  process.stderr.write(`datahub: ${(e as Error).message}\n`);
  process.exit(78);
}
