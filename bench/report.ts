import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { execFileSync } from "node:child_process";
import type { LoadResult } from "./load";
import { fmt, markdownTable } from "./stats";
import { benchNodeOptions } from "./children";

/** docs/benchmarks.md of this repository. */
export const BENCH_DOC = fileURLToPath(new URL("../docs/benchmarks.md", import.meta.url));

const DOC_HEADER = `# Benchmarks

Numbers measured on one machine in one run; the commands that produced them are in each section.
Re-run them on your hardware before you rely on them: absolute numbers move with the CPU, ratios less.
`;

/**
 * One line of machine facts: CPUs (nproc), CPU model, memory, OS, Node.js version and the
 * NODE_OPTIONS the bench's processes run with, and the 1-minute
 * load average when called (other work on a shared machine skews every number).
 */
export async function machineFacts(): Promise<string> {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const memGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  const load = os.loadavg()[0]!.toFixed(2);
  const nodeOptions = benchNodeOptions();
  const node = `Node.js ${process.version} (${nodeOptions === "" ? "no NODE_OPTIONS" : `NODE_OPTIONS=${nodeOptions}`} for every process the bench starts)`;
  return `nproc ${os.availableParallelism()}, ${cpu}, ${memGiB} GiB RAM, ${os.type()} ${os.release()}, ${node}, load average ${load} at start`;
}

/** The checked-out commit (short), with " + uncommitted changes" when the tree is dirty. */
export function codeVersion(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    return `commit ${sha}${dirty ? " + uncommitted changes" : ""}`;
  } catch {
    return "commit unknown (not a git checkout)";
  }
}

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/**
 * Replaces the generated part of section `## title` in the Markdown text `doc` with `generated`.
 * The generated part sits between `<!-- bench:<slug> -->` markers, so hand-written text in the
 * same section (a conclusion) survives re-runs; a section without markers is replaced whole,
 * and a missing section is appended. Pure function; see {@link writeSection}.
 */
export function replaceSection(doc: string, title: string, generated: string): string {
  const begin = `<!-- bench:${slug(title)}:begin -->`;
  const end = `<!-- bench:${slug(title)}:end -->`;
  const block = `${begin}\n${generated.trim()}\n${end}`;
  const heading = `## ${title}`;
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return `${doc.trimEnd()}\n\n${heading}\n\n${block}\n`;
  let stop = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (stop < 0) stop = lines.length;
  const section = lines.slice(start, stop).join("\n");
  const b = section.indexOf(begin);
  const e = section.indexOf(end);
  const newSection = b >= 0 && e > b ? section.slice(0, b) + block + section.slice(e + end.length) : `${heading}\n\n${block}\n`;
  const before = lines.slice(0, start).join("\n");
  const after = lines.slice(stop).join("\n");
  return [before, newSection.trimEnd(), after].filter((s) => s.length > 0).join("\n\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

/** Writes `generated` into section `## title` of docs/benchmarks.md (creating the file); returns its path. */
export async function writeSection(title: string, generated: string, file = BENCH_DOC): Promise<string> {
  const doc = await readFile(file, "utf8").catch(() => DOC_HEADER);
  await writeFile(file, replaceSection(doc, title, generated));
  return file;
}

/** One row of the pipeline table. */
export interface PipelineRow {
  name: string;
  result: LoadResult;
}

/** The pipeline table: requests/s, latency, non-2xx and each row's share of the previous yardstick. */
export function pipelineTable(rows: PipelineRow[]): string {
  const upstream = rows.find((r) => r.name === "upstream alone")?.result.requestsPerSec;
  const bare = rows.find((r) => r.name === "bare proxy")?.result.requestsPerSec;
  return markdownTable(
    ["row", "requests/s", "p50 ms", "p99 ms", "requests", "non-2xx", "errors", "vs upstream", "vs bare proxy"],
    rows.map(({ name, result: r }) => [
      name,
      fmt(r.requestsPerSec),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      fmt(r.requests),
      fmt(r.non2xx),
      fmt(r.socketErrors),
      upstream ? `${fmt((100 * r.requestsPerSec) / upstream)} %` : "n/a",
      bare ? `${fmt((100 * r.requestsPerSec) / bare)} %` : "n/a",
    ]),
  );
}
