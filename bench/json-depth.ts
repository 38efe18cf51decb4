/**
 * Cost of the `/v1` body depth scan (packages/runtime/src/json-depth.ts) on 1 MiB bodies, next to
 * the JSON.parse every body pays anyway. Run: `node --import tsx bench/json-depth.ts`.
 * Bodies: a typical API document (an array of small objects, 4 levels), the worst body the scan
 * accepts (1 MiB of brackets nested exactly 32 deep, so it never stops early), and a hostile one
 * (1 MiB of `[`, refused at byte 33).
 */
import { jsonTextTooDeep, MAX_JSON_DEPTH } from "@datahub/runtime";

const MiB = 1 << 20;

function typical(): Buffer {
  const items: unknown[] = [];
  let size = 2;
  for (let i = 0; size < MiB - 200; i++) {
    const item = { id: i, name: `item "${i}" é`, tags: ["a", "b"], nested: { a: { b: [1, 2, { c: "x" }] } } };
    size += JSON.stringify(item).length + 1;
    items.push(item);
  }
  return Buffer.from(JSON.stringify(items));
}

function deepestAccepted(): Buffer {
  const unit = "[".repeat(MAX_JSON_DEPTH - 1) + "]".repeat(MAX_JSON_DEPTH - 1) + ",";
  return Buffer.from("[" + unit.repeat(Math.floor((MiB - 2) / unit.length)).slice(0, -1) + "]");
}

/** Mean milliseconds of `fn` over `runs` runs, after a warm-up. */
function timeMs(fn: () => unknown, runs = 50): number {
  for (let i = 0; i < 10; i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - started) / 1e6 / runs;
}

const bodies: Array<[string, Buffer]> = [
  ["typical document", typical()],
  [`brackets nested ${MAX_JSON_DEPTH} deep`, deepestAccepted()],
  ["hostile: 1 MiB of [", Buffer.alloc(MiB, 0x5b)],
];
console.log(`node ${process.version}, ${MAX_JSON_DEPTH}-level limit`);
for (const [name, body] of bodies) {
  const text = body.toString("utf8");
  const scan = timeMs(() => jsonTextTooDeep(body));
  const parse = timeMs(() => {
    try {
      JSON.parse(text);
    } catch {
      // the hostile body is not valid JSON: JSON.parse walks it all before saying so
    }
  }, 10);
  const kib = (body.length / 1024).toFixed(0);
  console.log(`${name} (${kib} KiB): depth scan ${scan.toFixed(3)} ms, JSON.parse ${parse.toFixed(2)} ms, refused: ${jsonTextTooDeep(body)}`);
}
