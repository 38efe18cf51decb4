/**
 * Option value parsers shared by the commands. Each throws commander's InvalidArgumentError, which
 * commander prints as one line naming the option (exit 64).
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import type { RateLimitInput } from "@datahub/client";

/** `a,b , c` → `["a", "b", "c"]`; an empty string is an empty list. */
export function list(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

/** A whole number ≥ 0. */
export function nonNegativeInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("expected a whole number.");
  return Number(v);
}

/** An HTTP status code (100–599). */
export function httpStatus(v: string): number {
  if (!/^\d{3}$/.test(v) || Number(v) < 100 || Number(v) > 599) throw new InvalidArgumentError("expected an HTTP status, 100-599.");
  return Number(v);
}

const ALGORITHMS = ["sliding-log", "gcra", "sliding-window", "fixed-window"] as const;

/** `<limit>/<windowSeconds>[/<algorithm>]`, e.g. `100/60` or `100/60/gcra`; `none` is null (remove it). */
export function rateLimit(v: string): RateLimitInput | null {
  if (v === "none") return null;
  const m = /^(\d+)\/(\d+)(?:\/([a-z-]+))?$/.exec(v);
  if (!m) throw new InvalidArgumentError("expected <limit>/<windowSeconds>[/<algorithm>], e.g. 100/60, or none.");
  const algorithm = m[3] as RateLimitInput["algorithm"];
  if (algorithm && !ALGORITHMS.includes(algorithm)) throw new InvalidArgumentError(`algorithm must be one of ${ALGORITHMS.join(", ")}.`);
  return { limit: Number(m[1]), windowSeconds: Number(m[2]), ...(algorithm ? { algorithm } : {}) };
}

/** An ISO-8601 time passed through as written (the API validates it); `none` is null (remove it). */
export function timeOrNone(v: string): string | null {
  if (v === "none") return null;
  if (Number.isNaN(Date.parse(v))) throw new InvalidArgumentError("expected an ISO-8601 time, e.g. 2030-01-01T00:00:00Z, or none.");
  return v;
}

/**
 * A JSON object: inline (`'{"a":1}'`), from a file (`@data.json`) or from stdin (`-`). Only the
 * shape is checked here; the API validates the rest.
 */
export function jsonObject(v: string): Record<string, unknown> {
  let text = v;
  try {
    if (v === "-") text = readFileSync(0, "utf8");
    else if (v.startsWith("@")) text = readFileSync(v.slice(1), "utf8");
  } catch (e) {
    throw new InvalidArgumentError(`cannot read ${v === "-" ? "stdin" : v.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`not JSON: ${(e as Error).message}.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError("expected a JSON object.");
  return parsed as Record<string, unknown>;
}

/** One of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]) {
  return (v: string): T => {
    if (!choices.includes(v as T)) throw new InvalidArgumentError(`expected one of ${choices.join(", ")}.`);
    return v as T;
  };
}
