/**
 * The console's built files (packages/console/dist), read once at start into memory with their
 * gzip and brotli forms. Serving is a lookup in a fixed table, so no request path ever reaches
 * the file system (no traversal to defend against), and a response costs no syscall beyond the
 * write. Why not serve-static: the whole console is ~10 files and a few hundred KB; a library that
 * stats the disk per request buys nothing here and adds the surface this avoids.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, sep } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";

/** One file, ready to send. */
export interface ConsoleAsset {
  contentType: string;
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  etag: string;
  /** Content-hashed names under `assets/` never change: cached for a year. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".svg", ".json", ".txt", ".webmanifest"]);
/** What the built index.html carries (`<base href="/console/">`, self-closed or not); the edge puts the configured prefix in its place. */
export const BUILT_BASE = /<base href="\/console\/"\s*\/?>/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

function asset(file: string, body: Buffer, immutable: boolean): ConsoleAsset {
  const ext = extname(file);
  const a: ConsoleAsset = {
    contentType: TYPES[ext] ?? "application/octet-stream",
    body,
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
    immutable,
  };
  if (COMPRESSIBLE.has(ext) && body.length > 512) {
    a.gzip = gzipSync(body, { level: 9 });
    a.br = brotliCompressSync(body);
  }
  return a;
}

/** The built console: `index` for every page, `files` by path below the prefix (`/assets/x.js`). */
export class ConsoleAssets {
  private constructor(
    readonly index: ConsoleAsset,
    private readonly files: Map<string, ConsoleAsset>,
  ) {}

  /** The file at `sub` (a canonical path below the prefix, starting with `/`), if the build has one. */
  find(sub: string): ConsoleAsset | undefined {
    return this.files.get(sub);
  }

  /**
   * Loads a build directory, pointing index.html's `<base>` at `prefix`; undefined when `dir` has
   * no index.html (the console was not built). Throws when index.html lacks the `<base>` to rewrite.
   */
  static load(dir: string, prefix: string): ConsoleAssets | undefined {
    const indexFile = join(dir, "index.html");
    if (!existsSync(indexFile)) return undefined;
    const html = readFileSync(indexFile, "utf8");
    if (!BUILT_BASE.test(html)) throw new Error(`${indexFile} has no <base href="/console/"> to point at ${prefix}/`);
    const files = new Map<string, ConsoleAsset>();
    for (const file of walk(dir)) {
      const rel = "/" + relative(dir, file).split(sep).join("/");
      if (rel === "/index.html") continue;
      files.set(rel, asset(file, readFileSync(file), rel.startsWith("/assets/")));
    }
    const index = asset(indexFile, Buffer.from(html.replace(BUILT_BASE, `<base href="${prefix}/">`)), false);
    return new ConsoleAssets(index, files);
  }
}

/** packages/console/dist of the installed `@datahub/console`, or undefined when it is not installed. */
export function defaultConsoleDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("@datahub/console/package.json")), "dist");
  } catch {
    return undefined;
  }
}
