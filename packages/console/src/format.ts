/** Display helpers: one place for how times, durations and counts read. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const number = new Intl.NumberFormat();

/** A timestamp in the viewer's locale and zone; "—" for none. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

/** Milliseconds with a sensible precision. */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  return v < 10 ? `${v.toFixed(2)} ms` : v < 1000 ? `${v.toFixed(1)} ms` : `${(v / 1000).toFixed(2)} s`;
}

/** A count with thousands separators. */
export const count = (n: number): string => number.format(n);

/** A rate limit as "100 / 60 s (gcra)". */
export function rateLimit(rl: { limit: number; windowSeconds: number; algorithm?: string | null } | null | undefined): string {
  if (!rl) return "none";
  return `${count(rl.limit)} / ${rl.windowSeconds} s${rl.algorithm ? ` (${rl.algorithm})` : ""}`;
}
