import { InvalidArgumentError, type Command } from "commander";
import { createDataHubClient, type DataHubClient } from "@datahub/client";
import { ConfigError } from "@datahub/runtime/config";
import { readFileSync } from "node:fs";

/** Options every command that talks to the edge takes. */
export interface ApiOptions {
  url?: string;
  key?: string;
  json?: boolean;
  timeout: number;
}

/** The CLI's version, from packages/cli/package.json (`--version`, and the User-Agent of its calls). */
export const CLI_VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Adds the connection and output options of an HTTP command (`--url`, `--key`, `--json`, `--timeout`). */
export function apiCommand(cmd: Command): Command {
  return cmd
    .option("--url <url>", "the edge's base URL (default: $DATAHUB_URL)")
    .option("--key <key>", "the API key to call with (default: $DATAHUB_API_KEY; prefer the variable: arguments show in `ps`)")
    .option("--json", "print the API's JSON answer instead of a table")
    .option("--timeout <ms>", "give up on an answer after this many ms", positiveInt, 30_000);
}

/** Option parser of a positive integer; commander reports a bad value as a usage error (exit 64). */
export function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError("expected a positive integer.");
  return Number(v);
}

/**
 * The SDK client for a command's options: `--url`/`--key`, else DATAHUB_URL/DATAHUB_API_KEY.
 * Missing or malformed values are configuration errors (exit 78), raised before any request.
 */
export function connect(opts: ApiOptions, headers: Record<string, string> = {}): DataHubClient {
  const url = opts.url ?? process.env.DATAHUB_URL;
  const key = opts.key ?? process.env.DATAHUB_API_KEY;
  if (!url) throw new ConfigError("DATAHUB_URL is not set: the edge's URL, e.g. http://127.0.0.1:8080 (or pass --url)");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`DATAHUB_URL: not a URL: "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new ConfigError(`DATAHUB_URL: expected http:// or https://, got "${url}"`);
  if (!key) throw new ConfigError("DATAHUB_API_KEY is not set: an API key (dh_…) or the root key (dhr_…) (or pass --key)");
  const timeoutMs = opts.timeout;
  return createDataHubClient({
    url,
    key,
    // Names the CLI in the request logs' userAgent.
    headers: { "user-agent": `datahub-cli/${CLI_VERSION}`, ...headers },
    // An edge that accepts the connection but never answers must not hang the command.
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
  });
}

/** Whether the configured key is a root key (`dhr_`), which may act on any org. */
export function isRootKey(opts: ApiOptions): boolean {
  return (opts.key ?? process.env.DATAHUB_API_KEY ?? "").startsWith("dhr_");
}
