import { HealthChecker, internalCredentials, type Config, type Health, type Logger } from "@datahub/runtime";
import type { Responder } from "../respond";
import { ConsoleAssets, defaultConsoleDir } from "./assets";
import { Console } from "./console";
import type { SessionRpcs } from "./session-api";
import { healthReport } from "./service-health";

/** Options of {@link openConsole}. */
export interface OpenConsoleOptions {
  config: Config;
  auth: SessionRpcs;
  responder: Responder;
  logger: Logger;
  /** This edge's readiness. */
  health: Health;
}

/** The console and what to release at shutdown. */
export interface OpenedConsole {
  console: Console;
  close(): void;
}

/**
 * The console as configured (`DATAHUB_CONSOLE*`), or undefined when it is turned off. A console
 * that was not built still signs in and serves its API; its pages answer 503 saying how to
 * build it, and start-up logs the same once.
 */
export function openConsole(opts: OpenConsoleOptions): OpenedConsole | undefined {
  const { config, logger } = opts;
  const c = config.console;
  if (!c.enabled) return undefined;
  const dir = c.dir ?? defaultConsoleDir();
  const assets = dir === undefined ? undefined : ConsoleAssets.load(dir, c.path);
  if (assets === undefined) logger.warn({ dir: dir ?? null }, "console is not built: its pages answer 503 until `npm run build -w @datahub/console` has run");
  else logger.info({ path: c.path + "/" }, "console enabled");
  const checker = new HealthChecker(internalCredentials(config));
  const adminConsole = new Console({
    prefix: c.path,
    assets,
    auth: opts.auth,
    cookie: { path: c.path, secure: config.tls !== undefined || c.secureCookie },
    sessionTtlMs: c.sessionTtlMs,
    responder: opts.responder,
    logger,
    health: () => healthReport(config, opts.health, checker, Math.min(config.rpcTimeoutMs, 1000)),
  });
  return { console: adminConsole, close: () => checker.close() };
}
