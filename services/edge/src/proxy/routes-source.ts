/**
 * Holds the current route table and replaces it on SIGHUP (`reload()`) or when the file changes
 * (fs.watch on its directory, debounced: editors replace files by rename). The directory is
 * watched even while the file is absent, so a datahub.yaml written after start-up is picked up.
 * A bad new file, or a removed one, is logged and the old table kept, so a typo or a stray `rm`
 * never takes routes down.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "@datahub/runtime";
import { DEFAULT_ROUTES_CONFIG, loadRoutesConfig, RoutesConfigError, type RateLimitCaps, type RoutesConfig } from "./routes-config";
import { RouteTable } from "./route-table";

/** Options for {@link RoutesSource}. */
export interface RoutesSourceOptions {
  /** datahub.yaml path (it may not exist yet); undefined = built-in defaults, no routes, no watching. */
  path: string | undefined;
  logger: Logger;
  /** When set, sliding-log policies above the cap are refused at load and reload. */
  rateLimitCaps?: RateLimitCaps;
  /** The admin console's path, when it is on: routes below it are refused at load and reload. */
  consolePath?: string;
  /** Called after every successful swap (e.g. to retire unused upstream pools). */
  onChange?: (table: RouteTable) => void;
  /** Debounce of file-change events (default 100 ms). */
  debounceMs?: number;
}

/** The live route table. Start with {@link RoutesSource.create}. */
export class RoutesSource {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<boolean> | undefined;
  /** A table has been loaded from the file: its absence now means it was removed. */
  private loadedFromFile = false;

  private constructor(
    private readonly opts: RoutesSourceOptions,
    /** The current table; read it once per request. */
    public current: RouteTable,
  ) {}

  /**
   * Loads the file (throwing a RoutesConfigError naming the bad fields) and starts watching it.
   * An absent file means the built-in defaults until it appears.
   */
  static async create(opts: RoutesSourceOptions): Promise<RoutesSource> {
    const config = opts.path ? await loadRoutesConfig(opts.path, opts.rateLimitCaps, opts.consolePath).catch(absentAsDefaults) : DEFAULT_ROUTES_CONFIG;
    const table = new RouteTable(config);
    const source = new RoutesSource(opts, table);
    source.loadedFromFile = opts.path !== undefined && config !== DEFAULT_ROUTES_CONFIG;
    if (opts.path) source.watch(opts.path);
    if (opts.path && config === DEFAULT_ROUTES_CONFIG) {
      opts.logger.info({ config: opts.path }, "no routes file yet; proxying nothing until it is created (watched, and SIGHUP reloads)");
    } else {
      opts.logger.info({ routes: table.routes.map((r) => r.name), config: opts.path ?? null }, "proxy routes loaded");
    }
    return source;
  }

  /** Re-reads the file; resolves true when a new table is in place, false when the old one was kept. */
  reload(): Promise<boolean> {
    // Serialise reloads: a change event during a reload runs after it.
    const run = async (): Promise<boolean> => {
      if (!this.opts.path) return false;
      try {
        const next = new RouteTable(await loadRoutesConfig(this.opts.path, this.opts.rateLimitCaps, this.opts.consolePath));
        this.current = next;
        this.loadedFromFile = true;
        this.opts.onChange?.(next);
        this.opts.logger.info({ routes: next.routes.map((r) => r.name), config: this.opts.path }, "proxy routes reloaded");
        return true;
      } catch (err) {
        if (err instanceof RoutesConfigError && err.missing && !this.loadedFromFile) {
          this.opts.logger.info({ config: this.opts.path }, "no routes file yet; nothing to reload");
        } else if (err instanceof RoutesConfigError && err.missing) {
          this.opts.logger.warn({ config: this.opts.path }, "routes file is gone; keeping the previous table");
        } else {
          this.opts.logger.error({ err: { message: (err as Error).message } }, "proxy routes not reloaded; keeping the previous table");
        }
        return false;
      }
    };
    const next = (this.reloading ?? Promise.resolve(false)).then(run, run);
    this.reloading = next;
    return next;
  }

  /** Stops watching the file. */
  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private watch(path: string): void {
    const file = basename(path);
    try {
      this.watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name !== null && name !== file) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.reload(), this.opts.debounceMs ?? 100);
      });
      this.watcher.on("error", (err) => this.opts.logger.warn({ err: { message: err.message } }, "cannot watch routes file; SIGHUP still reloads"));
    } catch (err) {
      this.opts.logger.warn({ err: { message: (err as Error).message } }, "cannot watch routes file; SIGHUP still reloads");
    }
  }
}

function absentAsDefaults(err: unknown): RoutesConfig {
  if (err instanceof RoutesConfigError && err.missing) return DEFAULT_ROUTES_CONFIG;
  throw err;
}
