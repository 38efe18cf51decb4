/** Labelled form controls with their field error underneath. */
import type { JSX } from "preact";

/** Field errors of a 400, by the path the API names (`scopes[1]` counts for `scopes`). */
export function fieldError(errors: Array<{ path: string; message: string }> | undefined, name: string): string | undefined {
  return errors?.find((e) => e.path === name || e.path.startsWith(`${name}[`) || e.path.startsWith(`${name}.`))?.message;
}

interface FieldProps {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  error?: string;
  hint?: string;
  type?: string;
  required?: boolean;
  multiline?: boolean;
  placeholder?: string;
  autoComplete?: string;
}

/** An input (or textarea) with its label, hint and error wired for screen readers. */
export function Field(p: FieldProps) {
  const describedBy = [p.hint ? `${p.id}-hint` : "", p.error ? `${p.id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id: p.id,
    name: p.id,
    value: p.value,
    required: p.required,
    placeholder: p.placeholder,
    "aria-invalid": p.error ? true : undefined,
    "aria-describedby": describedBy,
    onInput: (e: JSX.TargetedEvent<HTMLInputElement | HTMLTextAreaElement>) => p.onInput(e.currentTarget.value),
  };
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      {p.multiline ? <textarea rows={4} {...common} /> : <input type={p.type ?? "text"} autoComplete={p.autoComplete ?? "off"} {...common} />}
      {p.hint && (
        <small id={`${p.id}-hint`} class="muted">
          {p.hint}
        </small>
      )}
      {p.error && (
        <small id={`${p.id}-error`} class="field-error">
          {p.error}
        </small>
      )}
    </div>
  );
}
