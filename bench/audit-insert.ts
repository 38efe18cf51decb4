/**
 * What a logged request costs the audit write path, per row: Postgres CPU (read from /proc for the
 * backend that runs the writes, so the number does not drift with the machine's speed the way a
 * rows/s figure does) and the writing process's own CPU. Cases: the store's COPY (src/store/
 * copy-logs.ts) with the six indexes of the migration, with the method and status indexes dropped,
 * and with none; and, for the record, the multi-row UNNEST INSERT the COPY replaced, with all six
 * indexes. Writes the "Audit insert cost by index" section of docs/benchmarks.md.
 *
 *   node --import tsx bench/audit-insert.ts
 * Env: BENCH_PG_URL (default: the server of .datahub.env's DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432), AUDIT_BENCH_BATCHES (100 per case and
 * round, 400 rows each), AUDIT_BENCH_ROUNDS (3), BENCH_NO_WRITE=1. Linux only (reads /proc).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { localPgBaseUrl } from "../packages/runtime/src/testing/local-pg";
import { copyLogs } from "../services/audit/src/store/copy-logs";
import type { LogEntry } from "../services/audit/src/store/types";
import { codeVersion, machineFacts, writeSection } from "./report";
import { fmt, markdownTable } from "./stats";

const BASE = localPgBaseUrl("BENCH_PG_URL");
const BATCHES = Number(process.env.AUDIT_BENCH_BATCHES ?? 100);
const ROUNDS = Number(process.env.AUDIT_BENCH_ROUNDS ?? 3);
const ROWS = 400; // about one 100 ms flush at 4,000 requests/s
const DB = `datahub_audit_insert_${Date.now().toString(36)}`;
const MIGRATION = fileURLToPath(new URL("../services/audit/migrations/0001_request_logs.sql", import.meta.url));
const TICK_US = 10_000; // USER_HZ 100

let seq = 0;
function batch(): LogEntry[] {
  return Array.from({ length: ROWS }, () => ({
    requestId: `0193a1b2-c3d4-7e5f-8a9b-${String(++seq).padStart(12, "0")}`,
    timestampMs: Date.now(),
    method: "GET",
    path: "/bench/item",
    route: "bench",
    status: 200,
    durationMs: 1.5,
    gatewayMs: 0.7,
    keyId: "01a2187c-80f0-743c-989f-3eebfb732f41",
    orgId: "org_cf9cb9710e",
    clientIp: "127.0.0.1",
    userAgent: "wrk/4.1",
    bytesIn: 0,
    bytesOut: 54,
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    error: "",
  }));
}

/** The store's statement before COPY (a multi-row INSERT over 16 arrays), kept here to compare. */
function unnestInsert(entries: LogEntry[]): { text: string; values: unknown[][] } {
  const cols: unknown[][] = Array.from({ length: 16 }, () => new Array(entries.length));
  entries.forEach((e, i) => {
    const row = [e.timestampMs, e.orgId, e.keyId, e.requestId, e.method, e.path, e.route, e.status, e.durationMs, e.gatewayMs, e.clientIp, e.userAgent, e.bytesIn, e.bytesOut, e.traceId, e.error];
    row.forEach((v, c) => (cols[c]![i] = v));
  });
  return {
    text: `INSERT INTO audit.request_logs (ts, org_id, key_id, request_id, method, path, route, status, duration_ms, gateway_ms, client_ip, user_agent, bytes_in, bytes_out, trace_id, error)
SELECT to_timestamp(t / 1000), o, k, r, m, p, ro, s, d, g, ip, ua, bi, bo, tr, er
FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int2[], $9::float4[], $10::float4[], $11::text[], $12::text[], $13::int8[], $14::int8[], $15::text[], $16::text[])
  AS u(t, o, k, r, m, p, ro, s, d, g, ip, ua, bi, bo, tr, er)`,
    values: cols,
  };
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${BASE}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const facts = await machineFacts();
  await admin(`CREATE DATABASE ${DB}`);
  const c = new pg.Client({ connectionString: `${BASE}/${DB}` });
  await c.connect();
  try {
    await c.query("CREATE SCHEMA audit");
    await c.query(readFileSync(MIGRATION, "utf8").split("-- Down Migration")[0]!);
    await c.query("CREATE TABLE audit.request_logs_bench PARTITION OF audit.request_logs FOR VALUES FROM ('2000-01-01') TO ('2100-01-01')");
    const pid = (await c.query<{ p: number }>("SELECT pg_backend_pid() AS p")).rows[0]!.p;
    const ticks = () => {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return Number(f[11]) + Number(f[12]);
    };
    const indexes = (await c.query<{ n: string }>("SELECT indexname AS n FROM pg_indexes WHERE tablename = 'request_logs'")).rows.map((r) => r.n);
    const copy = (b: LogEntry[]) => copyLogs(c, b);
    const insert = (b: LogEntry[]) => c.query(unnestInsert(b));
    const cases: Array<{ name: string; keep: string[]; write: (b: LogEntry[]) => Promise<unknown> }> = [
      { name: `COPY, all ${indexes.length} indexes (the migration)`, keep: indexes, write: copy },
      { name: "COPY, without the method and status indexes", keep: indexes.filter((n) => !/_method_|_status_/.test(n)), write: copy },
      { name: "COPY, no indexes", keep: [], write: copy },
      { name: `UNNEST INSERT (before COPY), all ${indexes.length} indexes`, keep: indexes, write: insert },
    ];
    const results = new Map<string, number[]>();
    const clientResults = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const k of cases) {
        // Set the case's indexes (re-created from their definitions kept in `defs`).
        await setIndexes(c, k.keep);
        await c.query("TRUNCATE audit.request_logs");
        const batches = Array.from({ length: BATCHES }, batch);
        const t0 = ticks();
        const cpu0 = process.cpuUsage();
        for (const b of batches) await k.write(b);
        const cpu = process.cpuUsage(cpu0);
        const us = ((ticks() - t0) * TICK_US) / (BATCHES * ROWS);
        const clientUs = (cpu.user + cpu.system) / (BATCHES * ROWS);
        results.set(k.name, [...(results.get(k.name) ?? []), us]);
        clientResults.set(k.name, [...(clientResults.get(k.name) ?? []), clientUs]);
        console.log(`round ${round + 1} ${k.name}: ${fmt(us, 1)} µs of Postgres CPU, ${fmt(clientUs, 1)} µs of the writer's CPU per row`);
      }
    }
    const table = markdownTable(
      ["statement, audit.request_logs indexes", "Postgres CPU µs per row (per round)", "writer's CPU µs per row (per round)"],
      cases.map((k) => [k.name, results.get(k.name)!.map((x) => fmt(x, 1)).join(" / "), clientResults.get(k.name)!.map((x) => fmt(x, 1)).join(" / ")]),
    );
    const body = [
      `Command: \`node --import tsx bench/audit-insert.ts\`, run ${new Date().toISOString()}, ${codeVersion()}.`,
      `Machine: ${facts}. The audit store's write (src/store/copy-logs.ts; the former INSERT for comparison) of ${BATCHES} batches of ${ROWS} rows per case and round, into one partition; CPU of the Postgres backend from /proc; ${ROUNDS} interleaved rounds.`,
      "",
      table,
    ].join("\n");
    console.log(`\n${body}`);
    if (process.env.BENCH_NO_WRITE !== "1") console.log(`\nwrote ${await writeSection("Audit insert cost by index", body)}`);
  } finally {
    await c.end();
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

const defs = new Map<string, string>();
/** Drops the indexes not in `keep` and re-creates missing ones from their saved definitions. */
async function setIndexes(c: pg.Client, keep: string[]): Promise<void> {
  const { rows } = await c.query<{ n: string; d: string }>("SELECT indexname AS n, indexdef AS d FROM pg_indexes WHERE schemaname = 'audit' AND tablename = 'request_logs'");
  for (const r of rows) defs.set(r.n, r.d);
  for (const r of rows) if (!keep.includes(r.n)) await c.query(`DROP INDEX audit.${r.n}`);
  // pg_indexes shows a partitioned index as `ON ONLY` the parent; re-created that way it would not
  // cascade to the partition, so it is re-created on the whole table.
  for (const n of keep) if (!rows.some((r) => r.n === n)) await c.query(defs.get(n)!.replace(" ON ONLY ", " ON "));
}

await main();
