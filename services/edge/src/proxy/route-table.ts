/**
 * An immutable, compiled route table. Matching is by path prefix on segment boundaries
 * (`/api/orders` matches `/api/orders` and `/api/orders/1`, not `/api/ordersx`); the longest
 * prefix wins. A reload builds a new table and swaps the reference, so in-flight requests keep
 * the table they started with.
 */
import type { RateLimitPolicy } from "../ratelimit/policies";
import type { RouteConfig, RoutesConfig } from "./routes-config";

/** A route ready for the hot path. */
export interface Route {
  readonly name: string;
  readonly prefix: string;
  /** `http://host:port` of the upstream: the key of its connection pool. */
  readonly origin: string;
  /** The upstream URL's own path ('' for none), prepended to the forwarded path. */
  readonly basePath: string;
  readonly methods: ReadonlySet<string> | undefined;
  /** Value of the `Allow` header of a 405. */
  readonly allow: string;
  readonly scopes: readonly string[];
  readonly public: boolean;
  readonly stripPath: boolean;
  /** `%2F` in the path is kept (and forwarded) encoded instead of refused (docs/security.md). */
  readonly allowEncodedSlashes: boolean;
  readonly timeoutMs: number;
  readonly rateLimit: RateLimitPolicy | undefined;
  readonly maxBodyBytes: number | undefined;
}

function compile(r: RouteConfig): Route {
  const u = new URL(r.upstream);
  return {
    name: r.name,
    prefix: r.path,
    origin: u.origin,
    basePath: u.pathname === "/" ? "" : u.pathname.replace(/\/+$/, ""),
    methods: r.methods ? new Set(r.methods) : undefined,
    allow: r.methods ? r.methods.join(", ") : "",
    scopes: r.scopes,
    public: r.public,
    stripPath: r.stripPath,
    allowEncodedSlashes: r.allowEncodedSlashes,
    timeoutMs: r.timeoutMs,
    rateLimit: r.rateLimit,
    maxBodyBytes: r.maxBodyBytes,
  };
}

/** Routes by prefix plus the default policies of one datahub.yaml version. */
export class RouteTable {
  private readonly byPrefix: Map<string, Route>;
  readonly routes: readonly Route[];
  readonly defaults: RoutesConfig["defaults"];

  constructor(config: RoutesConfig) {
    this.routes = config.routes.map(compile);
    this.byPrefix = new Map(this.routes.map((r) => [r.prefix, r]));
    this.defaults = config.defaults;
  }

  /**
   * The route whose prefix is the longest segment-aligned prefix of `path` (no query string).
   * Walks up the path one segment at a time: at most one map lookup per segment.
   */
  match(path: string): Route | undefined {
    let candidate = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
    for (;;) {
      const r = this.byPrefix.get(candidate);
      if (r !== undefined) return r;
      const slash = candidate.lastIndexOf("/");
      if (slash <= 0) return candidate === "/" ? undefined : this.byPrefix.get("/");
      candidate = candidate.slice(0, slash);
    }
  }

  /** Every upstream origin the table uses. */
  origins(): Set<string> {
    return new Set(this.routes.map((r) => r.origin));
  }
}
