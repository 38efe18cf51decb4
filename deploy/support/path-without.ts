/**
 * A PATH on which one command cannot be found, for tests of what happens on a machine without it.
 * Dropping its directory would drop its neighbours too (kubectl often sits in /usr/bin, next to
 * node and sh), so each such directory is replaced by a temporary one of symlinks to everything
 * else in it.
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { findOnPath } from "./kubectl";

/** `path` with `command` hidden; `cleanup()` removes the stand-in directories. */
export function pathWithout(command: string, path = process.env.PATH ?? ""): { path: string; cleanup(): void } {
  const standIns = new Map<string, string>();
  const dirs = path.split(delimiter).map((dir) => {
    if (!dir || !findOnPath(command, dir)) return dir;
    let standIn = standIns.get(dir);
    if (!standIn) {
      standIn = mkdtempSync(join(tmpdir(), "datahub-path-"));
      for (const name of readdirSync(dir)) if (name !== command) symlinkSync(join(dir, name), join(standIn, name));
      standIns.set(dir, standIn);
    }
    return standIn;
  });
  return {
    path: dirs.join(delimiter),
    cleanup: () => standIns.forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}
