/**
 * A private PgBouncer for a test: transaction pool mode in front of one PostgreSQL server, its
 * config, user list, log and pid file in a temporary directory, on a free port. It runs as the
 * cluster owner (PgBouncer refuses root) and is stopped by the test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { clusterDir, clusterOwner, freePort, sleep } from "../../scripts/drill/pg-cluster";

/** A running PgBouncer. */
export interface PrivatePgBouncer {
  port: number;
  /** The same user and password as the server's, through the pooler: `postgres://…@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  log(): string;
  stop(): Promise<void>;
}

/** What the pooler sits in front of. */
export interface PgBouncerTarget {
  port: number;
  user: string;
  password: string;
}

function waitForPort(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const why = exited();
      if (why) return reject(new Error(why));
      const sock = createConnection({ port, host: "127.0.0.1" }, () => (sock.destroy(), resolve()));
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`pgbouncer did not listen on ${port} within ${timeoutMs} ms`));
        else void sleep(50).then(attempt);
      });
    };
    attempt();
  });
}

/**
 * Starts PgBouncer 1.18+ in transaction mode. `statement_timeout` is in
 * `ignore_startup_parameters` because PgBouncer refuses startup parameters it does not know and
 * node-postgres sends the pool's statement timeout as one (docs/operations.md explains the setting).
 */
export async function startPgBouncer(target: PgBouncerTarget, opts: { poolSize?: number; adminUser?: string; ignoreStartupParameters?: string } = {}): Promise<PrivatePgBouncer> {
  const owner = await clusterOwner();
  const dir = clusterDir(owner, undefined, "datahub-pgbouncer-");
  const port = await freePort();
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(join(dir, "userlist.txt"), `${quote(target.user)} ${quote(target.password)}\n`, { mode: 0o600 });
  const logFile = join(dir, "pgbouncer.log");
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=127.0.0.1 port=${target.port}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "pool_mode = transaction",
      "auth_type = scram-sha-256",
      `auth_file = ${join(dir, "userlist.txt")}`,
      `default_pool_size = ${opts.poolSize ?? 5}`,
      "max_client_conn = 500",
      `ignore_startup_parameters = ${opts.ignoreStartupParameters ?? "extra_float_digits,statement_timeout"}`,
      // The admin console (`SHOW CLIENTS`) for tests that check who connects through the pooler.
      ...(opts.adminUser ? [`admin_users = ${opts.adminUser}`] : []),
      `logfile = ${logFile}`,
      `pidfile = ${join(dir, "pgbouncer.pid")}`,
      "",
    ].join("\n"),
  );
  for (const f of ["userlist.txt", "pgbouncer.ini"]) owner.own(join(dir, f));
  const args = [join(dir, "pgbouncer.ini")];
  const child: ChildProcess =
    owner.uid === undefined
      ? spawn("pgbouncer", args, { stdio: "ignore" })
      : spawn("runuser", ["-u", "postgres", "--", "pgbouncer", ...args], { stdio: "ignore" });
  let exit: string | undefined;
  child.once("exit", (code, signal) => (exit = `pgbouncer exited (${code ?? signal})`));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const stop = async () => {
    if (exit === undefined) {
      const done = new Promise((r) => child.once("exit", r));
      // PgBouncer runs under runuser as root: signal it by its pid file (SIGTERM: immediate
      // shutdown, SIGINT would wait for clients), runuser follows.
      const pidFile = join(dir, "pgbouncer.pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : child.pid;
      try {
        process.kill(pid!, "SIGTERM");
      } catch {
        child.kill("SIGKILL");
      }
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await done;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10_000, () => exit && `${exit}\n${log()}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    url: (db) => `postgres://${target.user}:${encodeURIComponent(target.password)}@127.0.0.1:${port}/${db}`,
    log,
    stop,
  };
}
