/**
 * Which PostgreSQL server the tests and the bench create their throwaway databases on.
 */
import { envFilePath, readEnvFile } from "../env-file";

/** The server of a stock local install that trusts `postgres` on 127.0.0.1. */
export const DEFAULT_PG_BASE_URL = "postgres://postgres@127.0.0.1:5432";

/**
 * The base URL (no database) of the local PostgreSQL: the variable `overrideVar` (TEST_PG_URL,
 * BENCH_PG_URL) when set, else the server and credentials of the DATABASE_URL in `.datahub.env`,
 * else {@link DEFAULT_PG_BASE_URL}. Only the file counts, not a DATABASE_URL exported in the
 * shell: the file describes this machine's server (scripts/ensure-deps.sh writes it), while a
 * shell may point anywhere, and tests create and drop databases on this server.
 */
export function localPgBaseUrl(overrideVar: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[overrideVar];
  if (override) return override;
  const databaseUrl = readEnvFile(env).DATABASE_URL;
  if (!databaseUrl) return DEFAULT_PG_BASE_URL;
  return pgServerUrl(databaseUrl, `DATABASE_URL in ${envFilePath(env)}`, overrideVar);
}

/**
 * `postgres://user:password@host:port` of a database URL (its database, query and fragment
 * dropped); `what` and `overrideVar` name the source and the way out in the one-line error.
 */
export function pgServerUrl(databaseUrl: string, what = "DATABASE_URL", overrideVar = "TEST_PG_URL"): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error(`${what} is not a URL`);
  }
  if (!/^postgres(ql)?:$/.test(url.protocol) || !url.host) {
    throw new Error(`${what} is not postgres://user:password@host:port/database; set ${overrideVar} to the server instead`);
  }
  // username and password stay percent-encoded, as they must be inside the base URL.
  const credentials = url.username ? `${url.username}${url.password ? `:${url.password}` : ""}@` : "";
  return `${url.protocol}//${credentials}${url.host}`;
}
