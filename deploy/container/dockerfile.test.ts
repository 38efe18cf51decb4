/**
 * Static rules for the Dockerfile (there is no Docker engine here), hadolint-style: a pinned,
 * multi-stage build from the lockfile with production dependencies only, a numeric non-root USER,
 * no remote ADD or secrets baked in, tini as PID 1, the documented ports (docs/reference/configuration.md), and a build context
 * (.dockerignore) without node_modules, .git or local env files. It also checks that the code the
 * image runs imports only production dependencies — what `npm ci --omit=dev` leaves out would
 * crash the container at start-up.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { configDefault } from "../support/config-env";
import { imageNodeOptions } from "../support/image-node-options";

const ROOT = new URL("../..", import.meta.url).pathname;
const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const stageNames = froms.map((f) => f.getBuildStage());
const args = new Map(dockerfile.getInitialARGs().map((a) => [a.getProperty()!.getName(), a.getProperty()!.getValue() ?? ""]));

/** Instructions of the last (runtime) stage. */
const finalStage = instructions.slice(instructions.indexOf(froms[froms.length - 1]!));
const keyword = (i: Instruction) => i.getKeyword().toUpperCase();
const flags = (i: Instruction) =>
  ((i as unknown as { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> }).getFlags?.() ?? []).map((f) => ({ name: f.getName(), value: f.getValue() }));

function workspaces(): string[] {
  return (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
}

describe("Dockerfile", () => {
  it("is multi-stage and every external base image is pinned to a full version", () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(stageNames[stageNames.length - 1]).toBe("runtime");
    for (const from of froms) {
      const image = from.getImage()!.replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? "");
      if (stageNames.includes(image)) continue; // an earlier stage
      expect(image).not.toMatch(/:latest(@|$)/);
      expect(image).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it("runs as a numeric non-root user, set after the last RUN", () => {
    const users = finalStage.filter((i) => keyword(i) === "USER");
    expect(users.length).toBe(1);
    const [uid, gid] = users[0]!.getArgumentsContent()!.split(":");
    expect(Number(uid)).toBeGreaterThan(0);
    expect(Number(gid)).toBeGreaterThan(0);
    const lastRun = finalStage.map(keyword).lastIndexOf("RUN");
    expect(finalStage.indexOf(users[0]!)).toBeGreaterThan(lastRun);
    // Kubernetes' securityContext runs the same uid (deploy/k8s tests check 10001).
    expect(uid).toBe("10001");
  });

  it("keeps the code read-only to the service user (no COPY --chown to it in the runtime stage)", () => {
    // Deliberate: root-owned code means a compromised process cannot rewrite what it runs.
    for (const copy of finalStage.filter((i) => keyword(i) === "COPY")) {
      expect(flags(copy).filter((f) => f.name === "chown" || f.name === "chmod")).toEqual([]);
    }
  });

  it("installs from the lockfile without install scripts; the runtime gets production dependencies only", () => {
    const runs = instructions.filter((i) => keyword(i) === "RUN").map((i) => i.getArgumentsContent() ?? "");
    const installs = runs.filter((r) => /\bnpm ci\b/.test(r));
    // deps (production, what the runtime copies) and console (dev too, for Vite; only dist leaves it).
    expect(installs).toHaveLength(2);
    for (const r of installs) expect(r).toContain("--ignore-scripts");
    expect(installs[0]).toContain("--omit=dev");
    const fromStages = finalStage.filter((i) => keyword(i) === "COPY").flatMap((i) => flags(i).filter((f) => f.name === "from").map((f) => `${f.value} ${i.getArgumentsContent()}`));
    expect(fromStages).toContain("deps /app /app");
    expect(fromStages.filter((c) => c.startsWith("console "))).toEqual(["console /app/packages/console/dist ./packages/console/dist"]);
    expect(runs.join("\n")).not.toMatch(/\bnpm (install|i)\b|\bcurl\b|\bwget\b|sudo/);
  });

  it("copies every workspace manifest before npm ci (npm ci needs them all)", () => {
    const copied = instructions.filter((i) => keyword(i) === "COPY").flatMap((i) => (i.getArgumentsContent() ?? "").split(/\s+/).slice(0, -1));
    for (const ws of workspaces()) expect(copied).toContain(`${ws}/package.json`);
    expect(copied).toEqual(expect.arrayContaining(["package.json", "package-lock.json"]));
    for (const src of copied.filter((s) => !s.startsWith("/"))) expect(existsSync(join(ROOT, src))).toBe(true);
  });

  it("uses no ADD (so no remote URLs or auto-extraction) and bakes in no secrets", () => {
    expect(instructions.filter((i) => keyword(i) === "ADD")).toEqual([]);
    const declared = instructions
      .filter((i) => ["ENV", "ARG"].includes(keyword(i)))
      .flatMap((i) => (i.getArgumentsContent() ?? "").split(/\s+/).map((kv) => kv.split("=")[0]!));
    expect(declared.filter((n) => /SECRET|PASSWORD|TOKEN|_KEY$|ROOT_KEY|DATABASE_URL|REDIS_URL/i.test(n))).toEqual([]);
  });

  it("cleans apt lists in the same layer and installs without recommends", () => {
    for (const run of instructions.filter((i) => keyword(i) === "RUN").map((i) => i.getArgumentsContent() ?? "")) {
      if (!run.includes("apt-get install")) continue;
      expect(run).toContain("--no-install-recommends");
      expect(run).toContain("rm -rf /var/lib/apt/lists/*");
    }
  });

  it("runs the datahub CLI under tini, exposes the documented ports and has a healthcheck", () => {
    const entrypoint = JSON.parse(finalStage.find((i) => keyword(i) === "ENTRYPOINT")!.getArgumentsContent()!) as string[];
    expect(entrypoint.slice(0, 2)).toEqual(["/usr/bin/tini", "--"]);
    expect(entrypoint.slice(2)).toEqual(["node", "/app/packages/cli/bin/datahub.js"]);
    expect(existsSync(join(ROOT, "packages/cli/bin/datahub.js"))).toBe(true);
    expect(JSON.parse(finalStage.find((i) => keyword(i) === "CMD")!.getArgumentsContent()!)).toEqual(["start"]);
    const exposed = finalStage.find((i) => keyword(i) === "EXPOSE")!.getArgumentsContent()!.split(/\s+/).map(Number);
    expect(exposed.sort()).toEqual(["DATAHUB_EDGE_PORT", "DATAHUB_GRPC_PORT", "DATAHUB_METRICS_PORT"].map(configDefault).sort());
    expect(finalStage.find((i) => keyword(i) === "HEALTHCHECK")?.getArgumentsContent()).toContain("/readyz");
  });

  it("runs Node.js with the measured young generation, through NODE_OPTIONS that every entrypoint reads", () => {
    // ENV in the final stage, where the bench and the manifests read it (deploy/support/image-node-options.ts).
    const env = finalStage.filter((i) => keyword(i) === "ENV").map((i) => i.getArgumentsContent() ?? "");
    expect(env).toContain(`NODE_OPTIONS=${imageNodeOptions()}`);
    expect(imageNodeOptions()).toMatch(/^--max-semi-space-size=\d+$/);
    // The parser reads quoted values and an absent ENV too.
    expect(imageNodeOptions('FROM x\nENV NODE_OPTIONS="--a=1 --b"\n')).toBe("--a=1 --b");
    expect(imageNodeOptions("FROM x\nENV NODE_ENV=production\n")).toBe("");
  });
});

describe(".dockerignore", () => {
  const patterns = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));

  it("keeps node_modules, .git, tests and local env files out of the build context", () => {
    for (const p of ["**/node_modules", ".git", "**/.datahub.env", "**/.env", "**/*.test.ts"]) expect(patterns).toContain(p);
  });

  it("lets in everything the Dockerfile copies from the context", () => {
    const sources = instructions
      .filter((i) => keyword(i) === "COPY" && !flags(i).some((f) => f.name === "from"))
      .flatMap((i) => (i.getArgumentsContent() ?? "").split(/\s+/).slice(0, -1));
    // The file is deny-all + allow-list: each source must be re-included by a `!` pattern.
    expect(patterns[0]).toBe("**");
    const allowed = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1).replace(/\/\*\*$/, ""));
    for (const src of sources) expect(allowed.some((a) => src === a || src.startsWith(`${a}/`))).toBe(true);
  });
});

describe("runtime dependencies", () => {
  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      if (["node_modules", "test", "testing", "scripts"].includes(name)) return [];
      if (statSync(full).isDirectory()) return sources(full);
      return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [full] : [];
    });
  }

  it("imports only packages that are production dependencies of some workspace", () => {
    const prod = new Set<string>();
    for (const ws of workspaces()) {
      const pkg = JSON.parse(readFileSync(join(ROOT, ws, "package.json"), "utf8")) as { name: string; dependencies?: Record<string, string> };
      prod.add(pkg.name);
      for (const d of Object.keys(pkg.dependencies ?? {})) prod.add(d);
    }
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    const seen = new Set<string>();
    // The console is browser code: Vite bundles its imports into packages/console/dist at build time.
    const files = workspaces()
      .filter((ws) => ws !== "packages/console")
      .flatMap((ws) => (existsSync(join(ROOT, ws, "src")) ? sources(join(ROOT, ws, "src")) : []));
    files.push(join(ROOT, "packages/cli/bin/datahub.js"));
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const re = /(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s+["']([^"'./][^"']*)["']|(?:^|\n)\s*import\s+["']([^"'./][^"']*)["']|import\(\s*["']([^"'./][^"']*)["']\s*\)/g;
      for (const m of text.matchAll(re)) {
        const spec = (m[1] ?? m[2] ?? m[3])!;
        if (spec.startsWith("node:") || builtins.has(spec)) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        seen.add(name);
        if (!prod.has(name)) missing.add(`${name} (${file.slice(ROOT.length)})`);
      }
    }
    expect(files.length).toBeGreaterThan(30);
    expect([...seen]).toEqual(expect.arrayContaining(["tsx", "@grpc/grpc-js", "pg", "ioredis", "undici", "zod"]));
    expect([...missing]).toEqual([]);
  });
});
