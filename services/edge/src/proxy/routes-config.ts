/**
 * `datahub.yaml` (docs/reference/datahub-yaml.md): proxy routes and default policies, parsed with `yaml` and
 * validated with zod. A bad file is rejected with one message per problem, each naming the field
 * (`routes[1].upstream: expected an http(s) URL`).
 */
import { readFile } from "node:fs/promises";
import { CST, Parser, parse } from "yaml";
import { z } from "zod";
import { MAX_JSON_DEPTH } from "@datahub/runtime";
import { ALGORITHM_NAMES, FAILURE_MODES, type RateLimitPolicy } from "../ratelimit/policies";
import { canonicalPath, type PathRefusal } from "./canonical-path";

/** Thrown for an unreadable or invalid routes file. */
export class RoutesConfigError extends Error {
  override name = "RoutesConfigError";
  /** Every problem found, one line each; `message` joins them with "; " for a one-line log. */
  readonly problems: string[];
  /** Set when the file could not be read at all: the errno code (`ENOENT`, `EACCES`, ...). */
  readonly readError: string | undefined;

  constructor(problems: string | string[], opts: { readError?: string } = {}) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("; "));
    this.problems = list;
    this.readError = opts.readError;
  }

  /** The file does not exist (as opposed to unreadable or invalid). */
  get missing(): boolean {
    return this.readError === "ENOENT";
  }

  /** The same problems, each prefixed (with the file's path). */
  prefixed(prefix: string): RoutesConfigError {
    return new RoutesConfigError(this.problems.map((p) => `${prefix}: ${p}`), { readError: this.readError });
  }
}

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const rateLimitSchema = z.strictObject({
  limit: z.number().int().min(1),
  windowSeconds: z.number().int().min(1).max(86_400 * 31),
  algorithm: z.enum(ALGORITHM_NAMES as [string, ...string[]]).optional(),
  failureMode: z.enum(FAILURE_MODES).optional(),
});

const upstreamSchema = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.search === "" && u.hash === "" && u.username === "" && u.password === "";
    } catch {
      return false;
    }
  },
  { message: "expected an http(s) URL without query, fragment or credentials" },
);

const routeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "expected 1-64 of [A-Za-z0-9_.-]" }),
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%\/-]*$/, { message: "expected an absolute path starting with /" })
    .refine((p) => !p.startsWith("/v1/") && p !== "/v1" && p !== "/healthz" && p !== "/readyz", { message: "/v1, /healthz and /readyz are reserved by the gateway" })
    .refine((p) => !/(^|\/)\.\.?(\/|$)/.test(p), { message: "must not contain . or .. segments" }),
  upstream: upstreamSchema,
  methods: z
    .array(z.string().transform((m) => m.toUpperCase()).pipe(z.enum(HTTP_METHODS)))
    .min(1)
    .optional(),
  scopes: z.array(z.string().min(1)).default([]),
  public: z.boolean().default(false),
  stripPath: z.boolean().default(false),
  allowEncodedSlashes: z.boolean().default(false),
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  rateLimit: rateLimitSchema.optional(),
  maxBodyBytes: z.number().int().min(0).optional(),
});

/** The zod schema of the whole file; docs/reference/datahub.schema.json is generated from it. */
export const routesFileSchema = z.strictObject({
  routes: z.array(routeSchema).default([]),
  defaults: z
    .strictObject({
      rateLimit: rateLimitSchema.default({ limit: 1000, windowSeconds: 60 }),
      anonymousRateLimit: rateLimitSchema.default({ limit: 60, windowSeconds: 60 }),
    })
    .default({ rateLimit: { limit: 1000, windowSeconds: 60 }, anonymousRateLimit: { limit: 60, windowSeconds: 60 } }),
});

/** One validated route. */
export interface RouteConfig {
  name: string;
  /** Canonical prefix (as request paths are matched: proxy/canonical-path.ts); no trailing slash except for `/`. */
  path: string;
  upstream: string;
  methods?: string[];
  scopes: string[];
  public: boolean;
  stripPath: boolean;
  /** `%2F` in a request path is kept encoded (not a separator) instead of refused with 400. */
  allowEncodedSlashes: boolean;
  timeoutMs: number;
  rateLimit?: RateLimitPolicy;
  maxBodyBytes?: number;
}

/** The whole validated file. */
export interface RoutesConfig {
  routes: RouteConfig[];
  defaults: { rateLimit: RateLimitPolicy; anonymousRateLimit: RateLimitPolicy };
}

/** The built-in configuration when there is no datahub.yaml. */
export const DEFAULT_ROUTES_CONFIG: RoutesConfig = Object.freeze({
  routes: [],
  defaults: { rateLimit: { limit: 1000, windowSeconds: 60 }, anonymousRateLimit: { limit: 60, windowSeconds: 60 } },
});

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(root)";
}

/** Validates parsed YAML; throws RoutesConfigError naming every bad field it can see. */
export function validateRoutesConfig(raw: unknown): RoutesConfig {
  const parsed = routesFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    // An unknown key is reported at its own path, so the line points at the typo.
    throw new RoutesConfigError(
      parsed.error.issues.flatMap((issue) =>
        issue.code === "unrecognized_keys" ? issue.keys.map((k) => `${fieldPath([...issue.path, k])}: unknown field`) : [`${fieldPath(issue.path)}: ${issue.message}`],
      ),
    );
  }
  const problems: string[] = [];
  const routes = parsed.data.routes.map((r, i) => {
    // Requests are matched on their canonical path, so a prefix is stored in that form too
    // (`/api/%7euser` and `/api/~user` are one route); what cannot be canonical never matches.
    const result = canonicalPath(r.path);
    const canonical = typeof result === "string" ? result : r.allowEncodedSlashes ? result.path : undefined;
    if (canonical === undefined) {
      problems.push(`routes[${i}].path: ${(result as PathRefusal).reason}`);
      return r;
    }
    return { ...r, path: canonical.length > 1 && canonical.endsWith("/") ? canonical.slice(0, -1) : canonical };
  });
  const seen = new Map<string, number>();
  routes.forEach((r, i) => {
    if (seen.has(r.name)) problems.push(`routes[${i}].name: duplicate route name "${r.name}"`);
    else seen.set(r.name, i);
  });
  const paths = new Map<string, number>();
  routes.forEach((r, i) => {
    if (paths.has(r.path)) problems.push(`routes[${i}].path: duplicate path "${r.path}" (also routes[${paths.get(r.path)}])`);
    else paths.set(r.path, i);
  });
  if (problems.length > 0) throw new RoutesConfigError(problems);
  return { routes, defaults: parsed.data.defaults };
}

/** What the ratelimit service accepts, so that a policy is refused at load rather than never enforced. */
export interface RateLimitCaps {
  /** `config.ratelimit.maxLogLimit`: the largest sliding-log limit. */
  maxLogLimit: number;
  /** `config.ratelimit.defaultAlgorithm`: what an unset `algorithm` means. */
  defaultAlgorithm: string;
}

/**
 * Refuses a sliding-log policy above the cap (the ratelimit service would answer every check of it
 * as invalid, so the route would run unlimited); throws RoutesConfigError naming the field.
 */
function checkRateLimitCaps(config: RoutesConfig, caps: RateLimitCaps): RoutesConfig {
  const policies: Array<[string, RateLimitPolicy | undefined]> = [
    ...config.routes.map((r, i): [string, RateLimitPolicy | undefined] => [`routes[${i}].rateLimit`, r.rateLimit]),
    ["defaults.rateLimit", config.defaults.rateLimit],
    ["defaults.anonymousRateLimit", config.defaults.anonymousRateLimit],
  ];
  const problems = policies
    .filter(([, p]) => p !== undefined && (p.algorithm || caps.defaultAlgorithm) === "sliding-log" && p.limit > caps.maxLogLimit)
    .map(([field, p]) => `${field}.limit: must be at most ${caps.maxLogLimit} for sliding-log (memory grows with the limit; DATAHUB_RATELIMIT_MAX_LOG_LIMIT), got ${p!.limit}`);
  if (problems.length > 0) throw new RoutesConfigError(problems);
  return config;
}

/**
 * Refuses routes below the admin console's path: the console answers every path there, so such a
 * route would never be matched (docs/console.md); throws RoutesConfigError naming the field.
 */
function checkConsolePath(config: RoutesConfig, consolePath: string): RoutesConfig {
  const problems = config.routes
    .map((r, i): [number, string] => [i, r.path])
    .filter(([, p]) => p === consolePath || p.startsWith(consolePath + "/"))
    .map(([i, p]) => `routes[${i}].path: ${p} is answered by the admin console (DATAHUB_CONSOLE_PATH=${consolePath}); move the route, or the console`);
  if (problems.length > 0) throw new RoutesConfigError(problems);
  return config;
}

/**
 * True when YAML text nests collections deeper than `limit`, measured on yaml's CST: its parser
 * loops, but its composer recurses, and a stack overflow there can abort the process (V8 fails
 * fatally compiling a regular expression on an exhausted stack) rather than throw.
 */
function yamlTooDeep(text: string, limit: number): boolean {
  const stack: Array<[CST.Token | null | undefined, number]> = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token?.type === "document") stack.push([token.value, depth]);
    else if (CST.isCollection(token)) {
      if (depth >= limit) return true;
      for (const item of token.items) stack.push([item.key, depth + 1], [item.value, depth + 1]);
    }
  }
  return false;
}

/**
 * Parses YAML text and validates it. The file is held to the nesting limit of client JSON
 * (MAX_JSON_DEPTH, far above the 4 levels a datahub.yaml uses), so no file can overflow the stack.
 */
export function parseRoutesConfig(text: string): RoutesConfig {
  if (yamlTooDeep(text, MAX_JSON_DEPTH)) throw new RoutesConfigError(`invalid YAML: nested deeper than ${MAX_JSON_DEPTH} levels`);
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new RoutesConfigError(`invalid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  return validateRoutesConfig(raw);
}

/**
 * Reads and validates a datahub.yaml; with `caps`, also against the ratelimit service's limits,
 * and with `consolePath`, refusing routes the admin console would shadow.
 * @throws RoutesConfigError whose problems each name the file and the bad field; `missing` when
 * the file does not exist.
 */
export async function loadRoutesConfig(path: string, caps?: RateLimitCaps, consolePath?: string): Promise<RoutesConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RoutesConfigError(`${path}: cannot read: ${code ?? (err as Error).message}`, { readError: code ?? "EIO" });
  }
  try {
    const config = parseRoutesConfig(text);
    if (consolePath !== undefined) checkConsolePath(config, consolePath);
    return caps === undefined ? config : checkRateLimitCaps(config, caps);
  } catch (err) {
    if (err instanceof RoutesConfigError) throw err.prefixed(path);
    throw new RoutesConfigError(`${path}: ${(err as Error).message}`);
  }
}
