/**
 * The environment variable names DataHub reads, taken from the zod schema in
 * packages/runtime/src/config.ts, so deployment files can be checked against the code: a typo in
 * compose.yaml or a manifest (DATAHUB_GRCP_PORT) would otherwise be silently ignored at start-up.
 * Parsed from the source because the schema is not exported (and deploy tests must not change it).
 */
import { readFileSync } from "node:fs";

const CONFIG_TS = new URL("../../packages/runtime/src/config.ts", import.meta.url);

/** Names declared in `envSchema` (e.g. DATABASE_URL, DATAHUB_TARGET). */
export function configEnvNames(): Set<string> {
  const source = readFileSync(CONFIG_TS, "utf8");
  const body = source.slice(source.indexOf("const envSchema = z.object({"));
  const end = body.indexOf("\n});");
  const names = [...body.slice(0, end).matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
  return new Set(names);
}

/** Variables read by something other than config.ts: the OpenTelemetry SDK and Node.js itself. */
export function isForeignEnvName(name: string): boolean {
  return name.startsWith("OTEL_") || name === "NODE_OPTIONS" || name === "NODE_ENV";
}

/** Default of a numeric setting in config.ts: `int(3000)` or `port(8080)`. */
export function configDefault(name: string): number {
  const source = readFileSync(CONFIG_TS, "utf8");
  const m = new RegExp(`${name}: (?:int|port)\\((\\d+)`).exec(source);
  if (!m) throw new Error(`no numeric default for ${name} in config.ts`);
  return Number(m[1]);
}
