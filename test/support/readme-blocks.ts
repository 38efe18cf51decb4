/** Reads the README's marked shell blocks, so tests run the commands users paste. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * The ```sh blocks that directly follow `<!-- marker -->` in README.md, in order.
 * @throws when there is none, so a renamed marker fails the test instead of running nothing.
 */
export function readmeShellBlocks(marker: string): string[] {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const escaped = marker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const blocks = [...text.matchAll(new RegExp(`<!-- ${escaped} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);
  if (blocks.length === 0) throw new Error(`README.md has no \`\`\`sh block after <!-- ${marker} -->`);
  return blocks;
}
