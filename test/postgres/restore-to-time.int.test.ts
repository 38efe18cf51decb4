/**
 * Point-in-time recovery to a chosen moment (docs/operations.md, "Backup and restore": undoing a
 * bad change): base backup + WAL archive, then restored into a new cluster with
 * `recovery_target_time` set to just before an accidental DELETE. The rows come back as they were
 * at that moment: what was written before it is there, the DELETE and everything after are not.
 * Private clusters on free ports (scripts/drill/pg-cluster.ts), never the machine's server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { archiveSettings, baseBackup, clusterOwner, sleep, startPrimary, startRestored, type PgCluster } from "../../scripts/drill/pg-cluster";

async function query<T extends pg.QueryResultRow>(cluster: PgCluster, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: cluster.url("postgres"), connectionTimeoutMillis: 3_000 });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

test("a restore to a time before an accidental DELETE brings the rows back, and nothing written after", async () => {
  const owner = await clusterOwner();
  const work = mkdtempSync(join(tmpdir(), "datahub-pitr-"));
  owner.own(work);
  const archive = join(work, "archive");
  const started: PgCluster[] = [];
  try {
    const primary = await startPrimary(owner, { parent: work, settings: archiveSettings(owner, archive, 1), initdbArgs: ["--wal-segsize=1"] });
    started.push(primary);
    await baseBackup(owner, primary, join(work, "base-backup"));
    await query(primary, "CREATE TABLE api_keys (name text PRIMARY KEY)");
    await query(primary, "INSERT INTO api_keys VALUES ('kept-1'), ('kept-2')");
    // The moment to return to, in the server's own clock, between two commits.
    await sleep(300);
    const at = (await query<{ at: Date }>(primary, "SELECT now() AS at"))[0]!.at;
    await sleep(300);
    await query(primary, "DELETE FROM api_keys"); // the accident
    await query(primary, "INSERT INTO api_keys VALUES ('after-the-accident')");
    // Everything up to here archived, as continuous archiving would within archive_timeout.
    const segment = (await query<{ f: string }>(primary, "SELECT pg_walfile_name(pg_switch_wal()) AS f"))[0]!.f;
    for (let i = 0; ((await query<{ w: string | null }>(primary, "SELECT last_archived_wal AS w FROM pg_stat_archiver"))[0]!.w ?? "") < segment; i++) {
      if (i > 100) throw new Error("WAL was not archived");
      await sleep(100);
    }
    await primary.destroy();
    started.shift();

    const restored = await startRestored(owner, { backupDir: join(work, "base-backup"), archiveDir: archive, creds: primary, targetTime: at, parent: work });
    started.push(restored);
    for (let i = 0; (await query<{ r: boolean }>(restored, "SELECT pg_is_in_recovery() AS r"))[0]!.r; i++) {
      if (i > 200) throw new Error(`the restore did not reach its target:\n${restored.logTail()}`);
      await sleep(100);
    }
    expect((await query<{ name: string }>(restored, "SELECT name FROM api_keys ORDER BY name")).map((r) => r.name)).toEqual(["kept-1", "kept-2"]);
    // Promoted at the target: a new timeline that takes writes.
    await query(restored, "INSERT INTO api_keys VALUES ('after-the-restore')");
    expect(restored.logTail(200)).toMatch(/recovery stopping before commit of transaction/);
  } finally {
    for (const c of started) await c.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}, 90_000);
