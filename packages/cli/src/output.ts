/**
 * What commands print. Results go to stdout — exactly the API's JSON with `--json`, otherwise a
 * table or `field: value` lines — and everything else (notes, warnings, errors) to stderr, so
 * `datahub … --json | jq` always gets clean JSON.
 */

/** Prints a value as JSON (the API's body, unchanged). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** A value as one table cell or field: null as `-`, arrays comma-joined, objects as compact JSON. */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === "") return "-";
  if (Array.isArray(v)) return v.length ? v.map(cell).join(",") : "-";
  if (typeof v === "object") return Object.keys(v).length ? JSON.stringify(v) : "-";
  return String(v);
}

/** A column of {@link printTable}: its header and how to read it from a row. */
export type Column<T> = [header: string, read: (row: T) => unknown];

/** Prints rows as an aligned table with a header line (nothing but the header for no rows). */
export function printTable<T>(rows: T[], columns: Column<T>[]): void {
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, read]) => cell(read(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  for (const line of cells) process.stdout.write(line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!))).join("  ") + "\n");
}

/** Prints an object's fields as aligned `name: value` lines. */
export function printFields(obj: object): void {
  const entries = Object.entries(obj);
  const width = Math.max(0, ...entries.map(([k]) => k.length)) + 1;
  for (const [k, v] of entries) process.stdout.write(`${`${k}:`.padEnd(width)} ${cell(v)}\n`);
}

/** Prints a line on stdout (a human-readable result). */
export function printLine(text: string): void {
  process.stdout.write(text + "\n");
}

/** Prints a note for the person at the terminal on stderr (never part of the result). */
export function note(text: string): void {
  process.stderr.write(text + "\n");
}
