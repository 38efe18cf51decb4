/**
 * Private PostgreSQL clusters for the restore drill and the replica/pooler tests: a primary made by
 * initdb, a streaming standby or a point-in-time restore made from a base backup, each in a
 * directory of its own on a port of its own, started and stopped with the Debian server binaries
 * (/usr/lib/postgresql/<version>/bin, or `PG_BIN`). Never touches the machine's shared server.
 */
import { execFile } from "node:child_process";
import { appendFileSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const PG_LIB = "/usr/lib/postgresql";

/** The newest server binaries directory (`PG_BIN` overrides). */
export function serverBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = existsSync(PG_LIB) ? readdirSync(PG_LIB).filter((v) => existsSync(join(PG_LIB, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries in ${PG_LIB}/*/bin (Debian package postgresql), and PG_BIN is not set`);
  return join(PG_LIB, newest, "bin");
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Who owns the clusters: initdb refuses root, so as root that is `postgres` (or `nobody`), via runuser. */
export interface ClusterOwner {
  uid?: number;
  gid?: number;
  /** Runs a server binary as the owner, with `env` added (e.g. PGPASSWORD), bounded by `timeoutMs`. */
  tool(name: string, args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<{ stdout: string }>;
  /** Makes `path` the owner's (no-op when not root). */
  own(path: string): void;
}

/** The owner of the clusters this process creates. */
export async function clusterOwner(bin = serverBin()): Promise<ClusterOwner> {
  const root = process.getuid?.() === 0;
  const user = root ? await run("id", ["-u", "postgres"]).then(() => "postgres", () => "nobody") : undefined;
  const uid = user ? Number((await run("id", ["-u", user])).stdout) : undefined;
  const gid = user ? Number((await run("id", ["-g", user])).stdout) : undefined;
  return {
    uid,
    gid,
    tool(name, args, opts = {}) {
      const [cmd, argv] = user ? ["runuser", ["-u", user, "--", join(bin, name), ...args]] : [join(bin, name), args];
      return run(cmd, argv, { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, cwd: tmpdir() });
    },
    own(path) {
      if (uid !== undefined) chownSync(path, uid, gid!);
    },
  };
}

/** A running private cluster. */
export interface PgCluster {
  port: number;
  /** The directory holding `data/`, the socket and the server log. */
  dir: string;
  dataDir: string;
  user: string;
  password: string;
  /** `postgres://user:password@127.0.0.1:port/<database>`. */
  url(database: string): string;
  /** Fast shutdown (`-m fast`), then removes `dir` unless `keep`. */
  stop(opts?: { keep?: boolean }): Promise<void>;
  /** The disaster: SIGKILLs the postmaster (no shutdown checkpoint) and deletes its whole directory. */
  destroy(): Promise<void>;
  /** Last lines of the server log (for error messages). */
  logTail(lines?: number): string;
}

/** Quotes a postgresql.conf value. */
const confValue = (v: string | number) => (typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`);

/** Appends settings to `postgresql.conf` (later lines win, so this overrides a copied file). */
export function writeSettings(dataDir: string, settings: Record<string, string | number>): void {
  appendFileSync(join(dataDir, "postgresql.conf"), "\n" + Object.entries(settings).map(([k, v]) => `${k} = ${confValue(v)}`).join("\n") + "\n");
}

interface Credentials {
  user: string;
  password: string;
}

/** Starts the server of `dir/data` on a free port; on failure stops it and removes `dir`. */
export async function startCluster(owner: ClusterOwner, dir: string, creds: Credentials, timeoutMs = 60_000): Promise<PgCluster> {
  const dataDir = join(dir, "data");
  const logFile = join(dir, "server.log");
  const port = await freePort();
  const logTail = (n = 30) => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-n).join("\n") : "");
  const pgCtlStop = (mode: string) => owner.tool("pg_ctl", ["-D", dataDir, "-m", mode, "-w", "-t", "20", "stop"]).catch(() => undefined);
  const cluster: PgCluster = {
    port,
    dir,
    dataDir,
    ...creds,
    url: (db) => `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${db}`,
    async stop(opts = {}) {
      if (existsSync(join(dataDir, "postmaster.pid"))) await pgCtlStop("fast");
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    },
    async destroy() {
      const pidFile = join(dataDir, "postmaster.pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) : 0;
      if (pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
        // Backends notice the postmaster's death and exit; wait so nothing writes into the deleted dir.
        for (let i = 0; i < 100 && (await run("pgrep", ["-P", String(pid)]).then(() => true, () => false)); i++) await sleep(50);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    logTail,
  };
  try {
    // -F: no fsync; the drill kills the postmaster, not the machine, so the page cache survives.
    await owner.tool("pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", String(Math.ceil(timeoutMs / 1000)), "-o", `-p ${port} -k ${dir} -h 127.0.0.1 -F`, "start"], {
      timeoutMs: timeoutMs + 5_000,
    });
  } catch (e) {
    const tail = logTail();
    await cluster.stop();
    throw new Error(`private PostgreSQL in ${dir} did not start: ${(e as Error).message}\n${tail}`);
  }
  return cluster;
}

/** A new directory owned by the cluster owner (mode 0700, as the server requires for `data/`). */
export function clusterDir(owner: ClusterOwner, parent = tmpdir(), prefix = "datahub-pg-"): string {
  const dir = mkdtempSync(join(parent, prefix));
  owner.own(dir);
  return dir;
}

/** initdb (scram-sha-256 over TCP and the socket, like a stock server) + `settings`, then start. */
export async function startPrimary(
  owner: ClusterOwner,
  opts: { parent?: string; settings?: Record<string, string | number>; initdbArgs?: string[] } = {},
): Promise<PgCluster> {
  const dir = clusterDir(owner, opts.parent, "datahub-pg-primary-");
  const creds = { user: "datahub_drill", password: randomBytes(12).toString("hex") };
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${creds.password}\n`, { mode: 0o600 });
  owner.own(pwfile);
  try {
    await owner.tool("initdb", ["-D", join(dir, "data"), "-U", creds.user, `--pwfile=${pwfile}`, "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C", ...(opts.initdbArgs ?? [])]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  rmSync(pwfile);
  if (opts.settings) writeSettings(join(dir, "data"), opts.settings);
  return startCluster(owner, dir, creds);
}

/**
 * `pg_basebackup` of `primary` into `target` (created, owned by the cluster owner). `standby`
 * adds `-R` (standby.signal + primary_conninfo) for a streaming replica; without it this is the
 * base backup a point-in-time restore starts from.
 */
export async function baseBackup(owner: ClusterOwner, primary: PgCluster, target: string, opts: { standby?: boolean } = {}): Promise<void> {
  mkdirSync(target, { recursive: true, mode: 0o700 });
  owner.own(target);
  const args = ["-h", "127.0.0.1", "-p", String(primary.port), "-U", primary.user, "-D", target, "-X", "stream", "-c", "fast", "--no-sync"];
  if (opts.standby) args.push("-R");
  await owner.tool("pg_basebackup", args, { env: { PGPASSWORD: primary.password } });
}

/** Starts a streaming standby of `primary` (pg_basebackup -R) in a directory of its own. */
export async function startStandby(owner: ClusterOwner, primary: PgCluster, opts: { parent?: string } = {}): Promise<PgCluster> {
  const dir = clusterDir(owner, opts.parent, "datahub-pg-standby-");
  try {
    await baseBackup(owner, primary, join(dir, "data"), { standby: true });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return startCluster(owner, dir, { user: primary.user, password: primary.password });
}

/**
 * Point-in-time recovery: copies the base backup into a new directory, sets `restore_command` to
 * read the WAL archive, `recovery_target_time` when given (else: replay everything archived), and
 * promotes at the end. Resolves once the server accepts connections; it may still be replaying.
 */
export async function startRestored(
  owner: ClusterOwner,
  opts: { backupDir: string; archiveDir: string; creds: Credentials; targetTime?: Date; parent?: string },
): Promise<PgCluster> {
  const dir = clusterDir(owner, opts.parent, "datahub-pg-restored-");
  const dataDir = join(dir, "data");
  cpSync(opts.backupDir, dataDir, { recursive: true, preserveTimestamps: true });
  if (owner.uid !== undefined) await run("chown", ["-R", `${owner.uid}:${owner.gid}`, dataDir]);
  const settings: Record<string, string | number> = {
    restore_command: `cp '${opts.archiveDir}/%f' '%p'`,
    recovery_target_action: "promote",
    recovery_target_timeline: "latest",
    // The restored cluster archives into a directory of its own: the old archive stays as it was.
    archive_mode: "off",
  };
  // PostgreSQL reads `2026-12-07 14:40:12.818+00`, not ISO 8601's `T…Z` (which it refuses to start with).
  if (opts.targetTime) settings.recovery_target_time = opts.targetTime.toISOString().replace("T", " ").replace("Z", "+00");
  writeSettings(dataDir, settings);
  writeFileSync(join(dataDir, "recovery.signal"), "");
  owner.own(join(dataDir, "recovery.signal"));
  return startCluster(owner, dir, opts.creds);
}

/** `archive_mode` settings that copy each finished WAL segment into `archiveDir` (created). */
export function archiveSettings(owner: ClusterOwner, archiveDir: string, archiveTimeoutS: number): Record<string, string | number> {
  mkdirSync(archiveDir, { recursive: true });
  owner.own(archiveDir);
  return {
    archive_mode: "on",
    // Never overwrite a segment already archived (the PostgreSQL documentation's example).
    archive_command: `test ! -f '${archiveDir}/%f' && cp '%p' '${archiveDir}/%f'`,
    archive_timeout: archiveTimeoutS,
    wal_level: "replica",
  };
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
