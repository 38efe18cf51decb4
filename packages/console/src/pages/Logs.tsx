/**
 * The log explorer: filters (key, status, method, path prefix, time range) kept in the URL so a
 * view can be shared, newest first, more by cursor.
 */
import { useEffect, useState } from "preact/hooks";
import { useLocation, useSearch } from "wouter-preact";
import { ErrorMessage } from "../components/ErrorMessage";
import { Field } from "../components/Field";
import { LogTable } from "../components/LogTable";
import { usePages, useTitle } from "../hooks";
import { useSession } from "../session";
import { filtersFromSearch, queryFromFilters, searchFromFilters, type LogFilters } from "./log-filters";

/** The logs page. */
export function Logs() {
  useTitle("Logs");
  const { client } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const applied = filtersFromSearch(search);
  const [form, setForm] = useState<LogFilters>(applied);
  const list = usePages((cursor) => client.logs.query({ ...queryFromFilters(applied), limit: 50, cursor }).first(), [search]);
  const records = list.items;
  useEffect(() => setForm(applied), [search]);

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
      <ErrorMessage error={list.error} context="Logs could not be read" />
      <LogTable records={records} caption="Request log, newest first" />
      <p role="status" class="muted">
        {list.loading ? "Loading…" : records.length === 0 ? "No requests match these filters." : `${records.length} request${records.length === 1 ? "" : "s"} shown, newest first.`}
      </p>
      {list.more && (
        <button type="button" disabled={list.loading} onClick={list.loadMore}>
          Load more
        </button>
      )}
    </>
  );
}
