#!/usr/bin/env node
// Fails when the committed protobuf-es code under packages/proto/src/gen differs from what
// `buf generate` produces from proto/ now. Generates into a temp dir; never touches the tree.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const committed = join(root, "packages/proto/src/gen");
const tmp = mkdtempSync(join(tmpdir(), "datahub-gen-"));
const template = readFileSync(join(root, "buf.gen.yaml"), "utf8").replace("out: packages/proto/src/gen", `out: ${tmp}/gen`);
writeFileSync(join(tmp, "buf.gen.yaml"), template);
execFileSync(join(root, "node_modules/.bin/buf"), ["generate", "--template", join(tmp, "buf.gen.yaml")], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
});

const list = (dir) =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? list(join(dir, n)).map((f) => join(n, f)) : [n]));
const fresh = join(tmp, "gen");
const a = list(committed).sort();
const b = list(fresh).sort();
const stale = [...new Set([...a, ...b])].filter(
  (f) => !a.includes(f) || !b.includes(f) || readFileSync(join(committed, f), "utf8") !== readFileSync(join(fresh, f), "utf8"),
);
rmSync(tmp, { recursive: true, force: true });
if (stale.length) {
  console.error(`generated code is stale (run \`npm run generate\`): ${stale.map((f) => relative(root, join(committed, f))).join(", ")}`);
  process.exit(1);
}
console.log("generated code is current");
