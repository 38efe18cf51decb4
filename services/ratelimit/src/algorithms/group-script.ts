import { readFileSync } from "node:fs";
import type { AlgorithmSpec } from "./types";

const DRIVER = readFileSync(new URL("./group.lua", import.meta.url), "utf8");

/**
 * Builds the one Lua script that checks a run of groups, each atomically: the driver (group.lua) with every
 * available algorithm's fragment inlined, each in its own `do ... end` block so their locals do not
 * clash. A group may therefore mix algorithms and still be checked in a single script.
 */
export function buildGroupScript(algorithms: AlgorithmSpec[]): string {
  const fragments = algorithms.map((a) => `do -- ${a.name}\n${a.lua}\nend`).join("\n");
  return DRIVER.replace("--@ALGORITHMS@--", fragments);
}
