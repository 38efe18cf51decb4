/**
 * CPU time of processes from /proc (Linux), grouped: the process trees the caller names (the
 * proxy under test, the upstream, ...), then PostgreSQL, Redis, the load tool and the rest. A
 * difference of two snapshots divided by the requests served is CPU microseconds per request —
 * a per-request cost that does not drift with the machine's speed the way requests/s does.
 */
import { readdirSync, readFileSync } from "node:fs";

/** One clock tick in microseconds (USER_HZ is 100 on Linux). */
export const TICK_US = 1_000_000 / 100;

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

/** Every process's user + system ticks. */
export function readProcs(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      out.set(Number(d), { pid: Number(d), ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      /* the process exited while we read */
    }
  }
  return out;
}

function descendants(procs: Map<number, ProcInfo>, root: number): Set<number> {
  const set = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs.values()) {
      if (!set.has(p.pid) && set.has(p.ppid)) {
        set.add(p.pid);
        grew = true;
      }
    }
  }
  return set;
}

/** Ticks by group name. */
export type Groups = Record<string, number>;

/** Ticks per group: each named root's process tree, then `postgres`, `redis`, `wrk` and `other`. */
export function classify(procs: Map<number, ProcInfo>, roots: Record<string, number | number[]>): Groups {
  const owned = new Map<number, string>();
  for (const [name, pids] of Object.entries(roots)) for (const pid of [pids].flat()) for (const p of descendants(procs, pid)) owned.set(p, name);
  const g: Groups = {};
  for (const p of procs.values()) {
    const name = owned.get(p.pid) ?? (p.comm.startsWith("postgres") ? "postgres" : p.comm.startsWith("redis-server") ? "redis" : p.comm === "wrk" ? "wrk" : "other");
    g[name] = (g[name] ?? 0) + p.ticks;
  }
  return g;
}

/** CPU µs per request of each group between two snapshots. */
export function perRequest(before: Groups, after: Groups, requests: number): Groups {
  const out: Groups = {};
  for (const k of Object.keys(after)) out[k] = ((after[k]! - (before[k] ?? 0)) * TICK_US) / Math.max(1, requests);
  return out;
}
