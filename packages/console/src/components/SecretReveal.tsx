/**
 * A secret shown exactly once (a new API key, a webhook signing secret): selectable, copyable,
 * with a warning. Closing the dialog drops it; nothing else keeps it.
 */
import { useState } from "preact/hooks";
import { Dialog } from "./Dialog";

/** Shows `secret` once; `label` names it for assistive technology and tests. */
export function SecretReveal(props: { title: string; label: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"" | "copied" | "failed">("");
  const copy = () =>
    navigator.clipboard.writeText(props.secret).then(
      () => setCopied("copied"),
      () => setCopied("failed"),
    );
  return (
    <Dialog title={props.title} onClose={props.onDone}>
      <div class="dialog-body">
        <p class="warning">Copy it now: it is shown only this once and cannot be retrieved later.</p>
        <output class="secret" aria-label={props.label}>
          {props.secret}
        </output>
        <p aria-live="polite" class="muted">
          {copied === "copied" ? "Copied to the clipboard." : copied === "failed" ? "Copying failed: select the text and copy it yourself." : ""}
        </p>
      </div>
      <div class="actions">
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" class="primary" onClick={props.onDone}>
          I have stored it
        </button>
      </div>
    </Dialog>
  );
}
