// Prints the raw and gzip size of the console's JavaScript and CSS in dist/ (what a first load
// transfers; the edge also serves brotli, which is smaller still).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dir = new URL("../dist/assets/", import.meta.url).pathname;
const totals = { js: [0, 0], css: [0, 0] };
for (const name of readdirSync(dir)) {
  const kind = name.endsWith(".js") ? "js" : name.endsWith(".css") ? "css" : undefined;
  if (!kind) continue;
  const body = readFileSync(join(dir, name));
  const gz = gzipSync(body, { level: 9 }).length;
  totals[kind][0] += body.length;
  totals[kind][1] += gz;
  console.log(`${name}: ${(body.length / 1024).toFixed(1)} KiB, gzip ${(gz / 1024).toFixed(1)} KiB`);
}
for (const [kind, [raw, gz]] of Object.entries(totals)) console.log(`${kind} total: ${(raw / 1024).toFixed(1)} KiB, gzip ${(gz / 1024).toFixed(1)} KiB`);
