/**
 * The log explorer: filters (key, status, method, path prefix, time range) kept in the URL so a
 * view can be shared, newest first, more by cursor.
 */
import { useEffect, useState } from "preact/hooks";
import { useLocation, useSearch } from "wouter-preact";
import type { LogRecord, QueryLogsQuery } from "@datahub/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { LogTable } from "../components/LogTable";
import { useTitle } from "../hooks";
import { useSession } from "../session";
import { filtersFromSearch, queryFromFilters, searchFromFilters, type LogFilters } from "./log-filters";

/** The logs page. */
export function Logs() {
  useTitle("Logs");
  const { client, reportError } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const applied = filtersFromSearch(search);
  const [form, setForm] = useState<LogFilters>(applied);
  const [records, setRecords] = useState<LogRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();

  const load = async (from: string | undefined, append: boolean) => {
    setLoading(true);
    setError(undefined);
    try {
      const query: QueryLogsQuery = { ...queryFromFilters(applied), limit: 50, cursor: from };
      const page = await client.logs.query(query).first();
      setRecords((prev) => (append ? [...prev, ...page.data] : page.data));
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
      reportError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setForm(applied);
    void load(undefined, false);
  }, [search]);

  const set = (k: keyof LogFilters) => (v: string) => setForm({ ...form, [k]: v });
  return (
    <>
      <h1>Logs</h1>
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          const q = searchFromFilters(form);
          navigate(`/logs${q ? `?${q}` : ""}`);
        }}
      >
        <Field id="f-key" label="Key id" value={form.keyId} onInput={set("keyId")} />
        <Field id="f-status" label="Status" type="number" value={form.status} onInput={set("status")} />
        <div class="field">
          <label for="f-method">Method</label>
          <select id="f-method" value={form.method} onChange={(e) => set("method")(e.currentTarget.value)}>
            {["", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].map((m) => (
              <option key={m} value={m}>{m || "any"}</option>
            ))}
          </select>
        </div>
        <Field id="f-path" label="Path prefix" value={form.path} onInput={set("path")} placeholder="/api/orders" />
        <Field id="f-from" label="From" type="datetime-local" value={form.from} onInput={set("from")} />
        <Field id="f-to" label="To" type="datetime-local" value={form.to} onInput={set("to")} />
        <div class="actions">
          <button type="submit" class="primary">Apply filters</button>
          <button type="button" onClick={() => navigate("/logs")}>Clear</button>
        </div>
      </form>
      <ErrorMessage error={error} context="Logs could not be read" />
      <LogTable records={records} caption="Request log, newest first" />
      <p role="status" class="muted">
        {loading ? "Loading…" : records.length === 0 ? "No requests match these filters." : `${records.length} request${records.length === 1 ? "" : "s"} shown, newest first.`}
      </p>
      {cursor && (
        <button type="button" disabled={loading} onClick={() => void load(cursor, true)}>
          Load more
        </button>
      )}
    </>
  );
}
