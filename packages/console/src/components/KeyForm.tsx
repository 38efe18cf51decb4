/**
 * Create or edit a key: name, scopes, metadata (JSON), its own rate limit and expiry. On edit,
 * only what changed is sent (`null` clears a rate limit or an expiry).
 */
import { useState } from "preact/hooks";
import { DataHubError, type Key } from "@datahub/client";
import { ErrorMessage } from "./ErrorMessage";
import { Field, fieldError } from "./Field";

/** What the form produces; `undefined` fields are left as they are. */
export interface KeyInput {
  name?: string;
  scopes?: string[];
  metadata?: Record<string, unknown>;
  rateLimit?: { limit: number; windowSeconds: number; algorithm?: "sliding-log" | "gcra" | "sliding-window" | "fixed-window" } | null;
  expiresAt?: string | null;
}

const ALGORITHMS = ["", "sliding-log", "gcra", "sliding-window", "fixed-window"] as const;

/** `2030-01-01T10:00` (the input's local time) from an ISO instant. */
function localInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** The form; `onSubmit` rejects with the API's error, shown next to the fields. */
export function KeyForm(props: { initial?: Key; submitLabel: string; onSubmit: (input: KeyInput) => Promise<void>; onCancel: () => void }) {
  const k = props.initial;
  const [name, setName] = useState(k?.name ?? "");
  const [scopes, setScopes] = useState((k?.scopes ?? []).join(" "));
  const [metadata, setMetadata] = useState(k ? JSON.stringify(k.metadata, null, 2) : "{}");
  const [limit, setLimit] = useState(k?.rateLimit ? String(k.rateLimit.limit) : "");
  const [windowSeconds, setWindow] = useState(k?.rateLimit ? String(k.rateLimit.windowSeconds) : "");
  const [algorithm, setAlgorithm] = useState<string>(k?.rateLimit?.algorithm ?? "");
  const [expires, setExpires] = useState(localInput(k?.expiresAt));
  const [error, setError] = useState<unknown>();
  const [local, setLocal] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const build = (): KeyInput | undefined => {
    const problems: Record<string, string> = {};
    let meta: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(metadata || "{}");
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
      meta = parsed as Record<string, unknown>;
    } catch {
      problems.metadata = "Metadata must be a JSON object, e.g. {\"team\": \"payments\"}.";
    }
    const hasLimit = limit.trim() !== "" || windowSeconds.trim() !== "";
    if (hasLimit && (!/^\d+$/.test(limit.trim()) || !/^\d+$/.test(windowSeconds.trim()))) problems.rateLimit = "Give both the limit and the window as whole numbers, or neither.";
    setLocal(problems);
    if (Object.keys(problems).length > 0) return undefined;
    const input: KeyInput = {
      name: name.trim(),
      scopes: scopes.split(/[\s,]+/).filter(Boolean),
      metadata: meta,
      rateLimit: hasLimit ? { limit: Number(limit), windowSeconds: Number(windowSeconds), ...(algorithm ? { algorithm: algorithm as "gcra" } : {}) } : null,
      expiresAt: expires ? new Date(expires).toISOString() : null,
    };
    if (!k) {
      if (input.rateLimit === null) delete input.rateLimit;
      if (input.expiresAt === null) delete input.expiresAt;
      return input;
    }
    // Edit: only what changed.
    if (input.name === k.name) delete input.name;
    if (JSON.stringify(input.scopes) === JSON.stringify(k.scopes)) delete input.scopes;
    if (JSON.stringify(input.metadata) === JSON.stringify(k.metadata)) delete input.metadata;
    if (JSON.stringify(input.rateLimit) === JSON.stringify(k.rateLimit ? { limit: k.rateLimit.limit, windowSeconds: k.rateLimit.windowSeconds, ...(k.rateLimit.algorithm ? { algorithm: k.rateLimit.algorithm } : {}) } : null)) delete input.rateLimit;
    if (localInput(input.expiresAt) === localInput(k.expiresAt)) delete input.expiresAt;
    return input;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const input = build();
    if (!input) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onSubmit(input);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const apiErrors = error instanceof DataHubError ? error.errors : undefined;
  return (
    <form onSubmit={submit} class="dialog-body" noValidate>
      <Field id="key-name" label="Name" value={name} onInput={setName} required error={fieldError(apiErrors, "name")} />
      <Field id="key-scopes" label="Scopes" value={scopes} onInput={setScopes} hint="Separated by spaces, e.g. orders:read keys:*. Empty: valid only for routes without scopes." error={fieldError(apiErrors, "scopes")} />
      <Field id="key-metadata" label="Metadata (JSON)" value={metadata} onInput={setMetadata} multiline error={local.metadata ?? fieldError(apiErrors, "metadata")} />
      <fieldset>
        <legend>Rate limit of this key (optional)</legend>
        <div class="inline">
          <Field id="key-limit" label="Requests" type="number" value={limit} onInput={setLimit} />
          <Field id="key-window" label="Per seconds" type="number" value={windowSeconds} onInput={setWindow} />
          <div class="field">
            <label for="key-algorithm">Algorithm</label>
            <select id="key-algorithm" value={algorithm} onChange={(e) => setAlgorithm(e.currentTarget.value)}>
              {ALGORITHMS.map((a) => (
                <option key={a} value={a}>
                  {a || "default"}
                </option>
              ))}
            </select>
          </div>
        </div>
        {(local.rateLimit ?? fieldError(apiErrors, "rateLimit")) && <small class="field-error">{local.rateLimit ?? fieldError(apiErrors, "rateLimit")}</small>}
      </fieldset>
      <Field id="key-expires" label="Expires (optional)" type="datetime-local" value={expires} onInput={setExpires} error={fieldError(apiErrors, "expiresAt")} />
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
