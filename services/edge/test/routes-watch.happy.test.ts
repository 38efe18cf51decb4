/**
 * The routes file's life cycle: absent at start (defaults, watched), created later (loaded),
 * reloaded on request (what SIGHUP calls), removed (the last good table stays, with a warning).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureLogger, eventually } from "@datahub/runtime/testing";
import { RoutesSource } from "../src/proxy/routes-source";

const yaml = (name: string) => `routes:\n  - { name: ${name}, path: /${name}, upstream: 'http://127.0.0.1:1' }\n`;

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), "edge-watch-")), "datahub.yaml");
}

test("a file absent at start is watched for: created later, its routes are live within a second", async () => {
  const path = tempFile();
  const cap = captureLogger("info");
  const source = await RoutesSource.create({ path, logger: cap.logger });
  try {
    expect(source.current.routes).toEqual([]);
    expect(cap.text()).toContain("no routes file yet");
    const created = Date.now();
    writeFileSync(path, yaml("late"));
    await eventually(() => source.current.match("/late")?.name === "late", 1000, 20);
    expect(Date.now() - created).toBeLessThan(1000);
    expect(cap.text()).toContain("proxy routes reloaded");
  } finally {
    source.close();
  }
});

test("reload() (SIGHUP) reads a file created after start even when no change event arrives", async () => {
  const path = tempFile();
  const cap = captureLogger("info");
  // A debounce longer than the test: only the explicit reload can load the file.
  const source = await RoutesSource.create({ path, logger: cap.logger, debounceMs: 60_000 });
  try {
    writeFileSync(path, yaml("hup"));
    expect(await source.reload()).toBe(true);
    expect(source.current.match("/hup")?.name).toBe("hup");
  } finally {
    source.close();
  }
});

test("a removed file keeps the last good table and logs a warning, on change and on reload", async () => {
  const path = tempFile();
  writeFileSync(path, yaml("kept"));
  const cap = captureLogger("info");
  const source = await RoutesSource.create({ path, logger: cap.logger, debounceMs: 20 });
  try {
    rmSync(path);
    await eventually(() => cap.text().includes("routes file is gone; keeping the previous table"), 1000, 20);
    expect(await source.reload()).toBe(false);
    expect(source.current.match("/kept")?.name).toBe("kept");
    const warning = cap.lines.map((l) => JSON.parse(l) as { level: string; msg: string; config?: string }).find((l) => l.msg.startsWith("routes file is gone"));
    expect(warning).toMatchObject({ level: "warn", config: path });
    writeFileSync(path, yaml("back"));
    await eventually(() => source.current.match("/back")?.name === "back", 1000, 20);
  } finally {
    source.close();
  }
});

test("an invalid file at start still stops start-up, naming every problem", async () => {
  const path = tempFile();
  writeFileSync(path, "routes:\n  - { name: a, path: a, upstream: 'ftp://x' }\n");
  await expect(RoutesSource.create({ path, logger: captureLogger().logger })).rejects.toThrow(
    `${path}: routes[0].path: expected an absolute path starting with /; ${path}: routes[0].upstream: expected an http(s) URL`,
  );
});

test("reload() before the file ever existed says so, without warning of a removal", async () => {
  const cap = captureLogger("info");
  const source = await RoutesSource.create({ path: tempFile(), logger: cap.logger, debounceMs: 60_000 });
  try {
    expect(await source.reload()).toBe(false);
    expect(cap.text()).toContain("no routes file yet; nothing to reload");
    expect(cap.text()).not.toContain("routes file is gone");
  } finally {
    source.close();
  }
});
