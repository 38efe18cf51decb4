/**
 * docs/errors.md and the code name the same problem types: every slug the edge can send (read from
 * its source, where each is a string literal next to its status) has a `## <slug>` section, every
 * section is a slug the code sends, and the OpenAPI `Problem.type` enum lists exactly those URIs.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { PROBLEM_BASE } from "../src/problem";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const src = join(root, "services/edge/src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Where a slug literal appears: after a status in a problem()/ApiError call, in a status→slug pair, or in server.ts's ternary. */
const SLUG_PATTERNS = [
  /\bproblem\(\s*(?:res,\s*)?\d{3},\s*"([a-z-]+)"/g,
  /\bApiError\(\s*\d{3},\s*"([a-z-]+)"/g,
  /\bbadBody\(\s*"([a-z-]+)"/g,
  /\[\s*\d{3},\s*"([a-z-]+)"\s*\]/g,
];
/**
 * The definitions and pass-throughs of a slug parameter (their callers carry the literal). Any
 * other call without a literal slug is reported, so a slug cannot be computed out of sight.
 */
const FORWARDERS = ["problem(status: number", "problem(res: EdgeResponse", "problem(status, slug", "problem(e.status", "ApiError(mapped[0]", "ApiError(400, slug"];
const CALL = /\b(?:problem|ApiError)\([^)\n]*/g;
const LITERAL = /^(?:problem|ApiError)\(\s*(?:res,\s*)?\d{3},\s*"[a-z-]+"/;

function slugsInCode(): { slugs: Set<string>; unreadable: string[] } {
  const slugs = new Set<string>();
  const unreadable: string[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, "utf8");
    for (const re of SLUG_PATTERNS) for (const m of text.matchAll(re)) slugs.add(m[1]!);
    // server.ts picks the slug of a raw parser error by status.
    for (const m of text.matchAll(/const slug = ([^;]+);/g)) for (const s of m[1]!.matchAll(/"([a-z-]+)"/g)) slugs.add(s[1]!);
    for (const m of text.matchAll(CALL)) {
      if (!LITERAL.test(m[0]) && !FORWARDERS.some((f) => m[0].startsWith(f))) unreadable.push(`${file.slice(root.length)}: ${m[0]}`);
    }
  }
  return { slugs, unreadable };
}

const doc = readFileSync(join(root, "docs/errors.md"), "utf8");
const sections = [...doc.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!);

test("every problem slug in the code has a section in docs/errors.md, and every section a slug", () => {
  const { slugs, unreadable } = slugsInCode();
  expect(unreadable).toEqual([]);
  expect(slugs.size).toBeGreaterThan(15);
  expect(sections.slice().sort()).toEqual([...slugs].sort());
  expect(new Set(sections).size).toBe(sections.length);
});

test("each section says the status, when it is sent and what the client should do", () => {
  const bodies = doc.split(/^## /m).slice(1);
  for (const body of bodies) {
    const slug = body.split("\n", 1)[0];
    expect([slug, /\*\*Status:\*\* \d{3}/.test(body), body.includes("**When:**"), body.includes("**Client:**")]).toEqual([slug, true, true, true]);
  }
});

test("the OpenAPI Problem.type enum lists exactly the documented types", () => {
  const openapi = parse(readFileSync(join(root, "docs/api/openapi.yaml"), "utf8"));
  const types: string[] = openapi.components.schemas.Problem.properties.type.enum;
  expect(types.slice().sort()).toEqual(sections.map((s) => PROBLEM_BASE + s).sort());
});
