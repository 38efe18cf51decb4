/**
 * The NODE_OPTIONS that DataHub's image runs Node.js with: the Dockerfile's `ENV NODE_OPTIONS`.
 * Read by the manifest tests (a manifest that sets its own NODE_OPTIONS replaces the image's) and
 * by the bench (it runs DataHub as the image does).
 */
import { readFileSync } from "node:fs";

const DOCKERFILE = new URL("../../Dockerfile", import.meta.url);

/** The value of `ENV NODE_OPTIONS=…` in `dockerfile` (default: the repository's), or "" when unset. */
export function imageNodeOptions(dockerfile: string = readFileSync(DOCKERFILE, "utf8")): string {
  const m = /^ENV NODE_OPTIONS=(?:"([^"]*)"|(\S+))[ \t]*$/m.exec(dockerfile);
  return m?.[1] ?? m?.[2] ?? "";
}
