/**
 * A throwaway PostgreSQL cluster of a test's own, set up like a stock Debian server (a password
 * over TCP, scram-sha-256), on a free port in a temporary directory, so the machine's shared
 * server is never reconfigured. Uses the server binaries that the Debian package installs
 * (/usr/lib/postgresql/<version>/bin), as the quick start does.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@datahub/runtime/testing";

const run = promisify(execFile);
const PG_LIB = "/usr/lib/postgresql";

/** A running private cluster. */
export interface PrivatePostgres {
  port: number;
  /** Its superuser, who logs in over TCP with {@link password} only. */
  user: string;
  password: string;
  /** `postgres://user:password@127.0.0.1:port/<database>`. */
  url(database: string): string;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

function serverBin(): string {
  const versions = existsSync(PG_LIB) ? readdirSync(PG_LIB).filter((v) => existsSync(join(PG_LIB, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries in ${PG_LIB}/*/bin (Debian package postgresql; scripts/ensure-deps.sh installs it)`);
  return join(PG_LIB, newest, "bin");
}

/**
 * initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (there
 * wherever the Debian package is) or `nobody`, and its commands run through runuser.
 */
async function clusterOwner(): Promise<{ wrap(cmd: string, args: string[]): [string, string[]]; uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
  const user = await run("id", ["-u", "postgres"]).then(() => "postgres", () => "nobody");
  const uid = Number((await run("id", ["-u", user])).stdout);
  const gid = Number((await run("id", ["-g", user])).stdout);
  return { wrap: (cmd, args) => ["runuser", ["-u", user, "--", cmd, ...args]], uid, gid };
}

/** Creates and starts a private cluster (bounded to `timeoutMs`); call `stop()` when done. */
export async function startPrivatePostgres(timeoutMs = 30_000): Promise<PrivatePostgres> {
  const bin = serverBin();
  const owner = await clusterOwner();
  const dir = mkdtempSync(join(tmpdir(), "datahub-pg-"));
  const data = join(dir, "data");
  const user = "datahub_fresh";
  const password = randomBytes(12).toString("hex");
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner.uid !== undefined) for (const p of [dir, pwfile]) chownSync(p, owner.uid, owner.gid!);
  const pg = (tool: string, args: string[]) => {
    const [cmd, argv] = owner.wrap(join(bin, tool), args);
    return run(cmd, argv, { cwd: dir, timeout: timeoutMs });
  };
  const port = await freePort();
  let initialized = false;
  const stop = async () => {
    // Also after a failed or timed-out start: a half-started postmaster must not outlive the test.
    if (initialized) await pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "20", "stop"]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // scram-sha-256 for TCP and the socket alike: like a stock server, nothing gets in without the password.
    await pg("initdb", ["-D", data, "-U", user, `--pwfile=${pwfile}`, "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"]);
    initialized = true;
    await pg("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-w", "-t", String(Math.ceil(timeoutMs / 1000)), "-o", `-p ${port} -k ${dir} -h 127.0.0.1 -F`, "start"]);
  } catch (e) {
    const logFile = join(dir, "server.log");
    const log = existsSync(logFile) ? `\n${readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n")}` : "";
    await stop();
    throw new Error(`private PostgreSQL did not start: ${(e as Error).message}${log}`);
  }
  return { port, user, password, url: (database) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`, stop };
}
