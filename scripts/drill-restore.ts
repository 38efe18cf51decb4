/**
 * Backup and restore drill: measures what a lost PostgreSQL primary costs DataHub (RPO: writes
 * acknowledged but lost; RTO: time from the loss to DataHub serving again) with continuous WAL
 * archiving and a point-in-time restore, on private clusters in a work directory of its own.
 *
 *   node --import tsx scripts/drill-restore.ts [--workdir DIR] [--archive-timeout 5] [--write-seconds 8]
 *                                            [--redis-url redis://127.0.0.1:6379] [--keep] [--json]
 *
 * PG_BIN picks the server binaries (default: the newest /usr/lib/postgresql/<v>/bin). Steps: a
 * primary with archive_mode=on copying WAL into <workdir>/archive; a base backup (pg_basebackup)
 * before DataHub ever runs; DataHub on the primary; an org, a key and proxied requests whose logs
 * are visible; then keys created continuously while the primary is SIGKILLed and its directory
 * deleted; a NEW cluster from the base backup + restore_command, replaying the archive to its end
 * and promoting; DataHub on it; the first key still verifies, the logs are there. See
 * docs/operations.md, "Backup and restore".
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { generateApiKey } from "../packages/runtime/src/api-key";
import { api, startDrillDatahub, startEchoUpstream, writeDrillRoutes, type DrillDatahub } from "./drill/datahub";
import { archiveSettings, baseBackup, clusterDir, clusterOwner, sleep, startPrimary, startRestored, type PgCluster } from "./drill/pg-cluster";

/** Options of {@link runRestoreDrill}. */
export interface DrillOptions {
  /** Parent of the drill's work directory (default: the OS temp dir). */
  workdir?: string;
  /** archive_timeout in seconds: the most WAL time that can sit unarchived, i.e. the RPO bound. */
  archiveTimeoutS?: number;
  /** How long keys are created before the primary is destroyed (at least until the first writes are archived). */
  writeSeconds?: number;
  redisUrl?: string;
  /** Keep the work directory (archive, base backup, restored cluster is stopped) for inspection. */
  keep?: boolean;
  log?(line: string): void;
}

/** What the drill measured. */
export interface DrillReport {
  /** Acknowledged key creations before the disaster, and how many of them the restore has. */
  acknowledgedWrites: number;
  recoveredWrites: number;
  lostWrites: number;
  /** Last acknowledged write minus the newest recovered one (0 when nothing acknowledged was lost), in ms. */
  rpoMs: number;
  /** From the primary's destruction to DataHub answering a proxied request on the restored cluster, in ms. */
  rtoMs: number;
  /** Parts of the RTO: restored PostgreSQL promoted, DataHub ready. */
  restoreMs: number;
  datahubStartMs: number;
  /** The key made before the disaster verifies on the restored DataHub (proxied request status). */
  keyVerifiedStatus: number;
  /** Request logs written (and visible) before the disaster, and how many the restore has. */
  logsBefore: number;
  logsRecovered: number;
  archiveTimeoutS: number;
}

async function proxy(base: string, key: string): Promise<{ status: number; requestId: string }> {
  const res = await fetch(`${base}/api/drill`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  await res?.arrayBuffer();
  return { status: res?.status ?? 0, requestId: res?.headers.get("x-request-id") ?? "" };
}

async function scalar<T>(cluster: PgCluster, sql: string): Promise<T> {
  const c = new pg.Client({ connectionString: cluster.url("postgres"), connectionTimeoutMillis: 3_000 });
  await c.connect();
  try {
    return Object.values((await c.query(sql)).rows[0] as object)[0] as T;
  } finally {
    await c.end();
  }
}

/** Runs the drill; always cleans up what it started. */
export async function runRestoreDrill(opts: DrillOptions = {}): Promise<DrillReport> {
  const log = opts.log ?? (() => undefined);
  const archiveTimeoutS = opts.archiveTimeoutS ?? 5;
  const owner = await clusterOwner();
  const work = clusterDir(owner, opts.workdir, "datahub-drill-");
  const archive = join(work, "archive");
  const backup = join(work, "base-backup");
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    // 1. A primary archiving every finished WAL segment; 1 MB segments keep the copies small.
    const primary = await startPrimary(owner, { parent: work, settings: archiveSettings(owner, archive, archiveTimeoutS), initdbArgs: ["--wal-segsize=1"] });
    cleanups.push(() => primary.destroy());
    await baseBackup(owner, primary, backup);
    log(`primary on ${primary.port}, base backup in ${backup}, WAL archive in ${archive} (archive_timeout ${archiveTimeoutS} s)`);

    // 2. DataHub on it: everything DataHub writes exists only in the archived WAL, not in the backup.
    const upstream = await startEchoUpstream();
    cleanups.push(() => upstream.close());
    const rootKey = generateApiKey("dhr");
    const env = {
      DATABASE_URL: primary.url("datahub"),
      REDIS_URL: opts.redisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      DATAHUB_REDIS_PREFIX: `drill${Date.now().toString(36)}`,
      DATAHUB_ROOT_KEY: rootKey,
      DATAHUB_CONFIG: writeDrillRoutes(work, upstream.url),
      DATAHUB_AUDIT_FLUSH_MS: "20",
    };
    let datahub: DrillDatahub = await startDrillDatahub(env);
    cleanups.push(() => datahub.kill());

    const org = await api(datahub.edgeUrl, "POST", "/v1/orgs", rootKey, { name: "drill" });
    const first = await api(datahub.edgeUrl, "POST", "/v1/keys", rootKey, { name: "before the disaster", scopes: ["*"], orgId: org.json?.id });
    if (first.status !== 201) throw new Error(`POST /v1/keys answered ${first.status}`);
    const key: string = first.json.key;
    const requestIds: string[] = [];
    for (let i = 0; i < 5; i++) requestIds.push((await proxy(datahub.edgeUrl, key)).requestId);
    const visible = async () => (await api(datahub.edgeUrl, "GET", `/v1/logs?keyId=${first.json.id}&limit=100`, key)).json?.data?.length ?? 0;
    for (let i = 0; (await visible()) < requestIds.length; i++) {
      if (i > 100) throw new Error("request logs did not become visible");
      await sleep(100);
    }
    const firstWritesAt = new Date();
    log(`org, key ${first.json.id} and ${requestIds.length} logged requests written`);

    // 3. Acknowledged writes until the disaster; archiving goes on as it would in production.
    const acked: Array<{ id: string; at: number }> = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const r = await api(datahub.edgeUrl, "POST", "/v1/keys", rootKey, { name: `write ${i}`, scopes: [], orgId: org.json.id });
        if (r.status === 201) acked.push({ id: r.json.id, at: Date.now() });
        await sleep(100);
      }
    })();
    const writeUntil = Date.now() + (opts.writeSeconds ?? 8) * 1000;
    for (;;) {
      const archivedAt = await scalar<Date | null>(primary, "SELECT last_archived_time FROM pg_stat_archiver");
      if (Date.now() >= writeUntil && archivedAt && archivedAt > firstWritesAt) break;
      if (Date.now() > writeUntil + (archiveTimeoutS + 30) * 1000) throw new Error("WAL archiving did not catch up (pg_stat_archiver)");
      await sleep(200);
    }

    // 4. The disaster: the primary is killed and its data directory deleted, mid-write.
    const destroyedAt = Date.now();
    await primary.destroy();
    writing = false;
    await writer;
    await datahub.kill();
    log(`primary destroyed after ${acked.length} acknowledged key creations`);

    // 5. Restore into a NEW cluster: base backup + every archived segment, then promote.
    const restored = await startRestored(owner, { backupDir: backup, archiveDir: archive, creds: primary, parent: work });
    cleanups.push(() => restored.stop({ keep: true }));
    for (let i = 0; await scalar<boolean>(restored, "SELECT pg_is_in_recovery()"); i++) {
      if (i > 600) throw new Error(`restored cluster did not promote:\n${restored.logTail()}`);
      await sleep(100);
    }
    const restoredAt = Date.now();
    datahub = await startDrillDatahub({ ...env, DATABASE_URL: restored.url("datahub") });
    const verified = await proxy(datahub.edgeUrl, key);
    const servingAt = Date.now();
    log(`restored on ${restored.port}; DataHub serving again, the old key answered ${verified.status}`);

    // 6. What survived.
    let newestRecovered = 0;
    let recovered = 0;
    for (const w of acked) {
      const r = await api(datahub.edgeUrl, "GET", `/v1/keys/${w.id}?orgId=${org.json.id}`, rootKey);
      if (r.status === 200) (recovered++, (newestRecovered = Math.max(newestRecovered, w.at)));
    }
    const lastAck = acked.at(-1)?.at ?? destroyedAt;
    const logsRecovered = (await Promise.all(requestIds.map((id) => api(datahub.edgeUrl, "GET", `/v1/logs/${id}`, key)))).filter((r) => r.status === 200).length;
    return {
      acknowledgedWrites: acked.length,
      recoveredWrites: recovered,
      lostWrites: acked.length - recovered,
      rpoMs: recovered === acked.length ? 0 : lastAck - (newestRecovered || firstWritesAt.getTime()),
      rtoMs: servingAt - destroyedAt,
      restoreMs: restoredAt - destroyedAt,
      datahubStartMs: servingAt - restoredAt,
      keyVerifiedStatus: verified.status,
      logsBefore: requestIds.length,
      logsRecovered,
      archiveTimeoutS,
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
}

/** Human-readable lines of a report. */
export function formatReport(r: DrillReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    `RPO ${s(r.rpoMs)}: ${r.lostWrites} of ${r.acknowledgedWrites} acknowledged writes lost (archive_timeout ${r.archiveTimeoutS} s)`,
    `RTO ${s(r.rtoMs)}: PostgreSQL restored and promoted in ${s(r.restoreMs)}, DataHub serving ${s(r.datahubStartMs)} later`,
    `key made before the disaster: proxied request answered ${r.keyVerifiedStatus}; request logs recovered: ${r.logsRecovered}/${r.logsBefore}`,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      workdir: { type: "string" },
      "archive-timeout": { type: "string" },
      "write-seconds": { type: "string" },
      "redis-url": { type: "string" },
      keep: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const report = await runRestoreDrill({
    workdir: values.workdir,
    archiveTimeoutS: values["archive-timeout"] ? Number(values["archive-timeout"]) : undefined,
    writeSeconds: values["write-seconds"] ? Number(values["write-seconds"]) : undefined,
    redisUrl: values["redis-url"],
    keep: values.keep,
    log: (line) => console.error(`drill: ${line}`),
  });
  console.log(values.json ? JSON.stringify(report) : formatReport(report));
}
