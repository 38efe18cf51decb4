/**
 * Builds the publishable package into `dist/` (or the directory given as the first argument):
 * ES modules and declarations compiled by tsc, a package.json whose `exports` point at them, and
 * the README. Publish with `npm publish packages/client/dist`.
 *
 * Why a separate package.json: inside this repository `@datahub/client` resolves to its TypeScript
 * sources (every workspace does, run by tsx and jest without a build), while a published package
 * must point plain Node at JavaScript; npm cannot switch `exports` at publish time.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const pkgDir = resolve(new URL("..", import.meta.url).pathname);
const out = resolve(process.argv[2] ?? join(pkgDir, "dist"));
rmSync(out, { recursive: true, force: true });
const tsc = join(pkgDir, "../../node_modules/typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(pkgDir, "tsconfig.build.json"), "--outDir", out], { stdio: "inherit" });

// tsc rewrites `./x.ts` to `./x.js` in JavaScript but keeps `.ts` in declarations; current
// TypeScript follows either, older releases and other declaration readers only the emitted name.
const declarations = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? declarations(join(dir, n)) : n.endsWith(".d.ts") ? [join(dir, n)] : []));
for (const file of declarations(out)) {
  writeFileSync(file, readFileSync(file, "utf8").replace(/(from\s+["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2"));
}

const source = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const published = {
  name: source.name,
  version: source.version,
  description: source.description,
  license: source.license,
  type: "module",
  main: "./index.js",
  types: "./index.d.ts",
  exports: {
    ".": { types: "./index.d.ts", default: "./index.js" },
    "./schema": { types: "./generated/schema.d.ts", default: "./generated/schema.js" },
  },
  engines: source.engines,
  dependencies: source.dependencies,
};
writeFileSync(join(out, "package.json"), JSON.stringify(published, null, 2) + "\n");
copyFileSync(join(pkgDir, "README.md"), join(out, "README.md"));
console.log(`built ${published.name}@${published.version} into ${out}`);
