#!/usr/bin/env node
// Fails when committed generated code differs from what its generator produces now:
//   - the protobuf-es code under packages/proto/src/gen (`buf generate` from proto/),
//   - the SDK's types packages/client/src/generated/schema.ts (openapi-typescript from docs/api/openapi.yaml).
// Generates into a temp dir; never touches the tree. `npm run generate` regenerates both.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "node_modules/.bin");
const tmp = mkdtempSync(join(tmpdir(), "datahub-gen-"));
const run = (cmd, args) =>
  execFileSync(join(bin, cmd), args, { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

const stale = [];
try {
  // protobuf-es
  const committed = join(root, "packages/proto/src/gen");
  const template = readFileSync(join(root, "buf.gen.yaml"), "utf8").replace("out: packages/proto/src/gen", `out: ${tmp}/gen`);
  writeFileSync(join(tmp, "buf.gen.yaml"), template);
  run("buf", ["generate", "--template", join(tmp, "buf.gen.yaml")]);
  const list = (dir) =>
    readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? list(join(dir, n)).map((f) => join(n, f)) : [n]));
  const fresh = join(tmp, "gen");
  const a = list(committed).sort();
  const b = list(fresh).sort();
  for (const f of new Set([...a, ...b])) {
    if (!a.includes(f) || !b.includes(f) || readFileSync(join(committed, f), "utf8") !== readFileSync(join(fresh, f), "utf8")) stale.push(join(committed, f));
  }

  // openapi-typescript
  const schema = join(root, "packages/client/src/generated/schema.ts");
  run("openapi-typescript", [join(root, "docs/api/openapi.yaml"), "-o", join(tmp, "schema.ts")]);
  let current = "";
  try {
    current = readFileSync(schema, "utf8");
  } catch {
    // missing counts as stale
  }
  if (current !== readFileSync(join(tmp, "schema.ts"), "utf8")) stale.push(schema);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (stale.length) {
  console.error(`generated code is stale (run \`npm run generate\`): ${stale.map((f) => relative(root, f)).join(", ")}`);
  process.exit(1);
}
console.log("generated code is current");
