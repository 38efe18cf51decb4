/**
 * Sign-in: an API key in, a session out. The key lives only in this form's state until the edge
 * answers, and the field is cleared whatever the answer.
 */
import { useEffect, useState } from "preact/hooks";
import { DataHubError } from "@datahub/client";
import { signIn, type Session } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";

/** Why sign-in failed, in words a person can act on. */
function reason(err: unknown): unknown {
  if (err instanceof DataHubError && err.status === 401) return new DataHubError({ status: 401, type: err.type, title: "Not signed in", detail: "That API key is not valid: check that you copied all of it, and that it has not been revoked or expired.", requestId: err.requestId });
  if (err instanceof DataHubError && err.status === 429) return new DataHubError({ status: 429, type: err.type, title: "Too many attempts", detail: `Wait ${err.retryAfterSeconds ?? "a few"} seconds, then try again.`, requestId: err.requestId });
  return err;
}

/** The sign-in page; `notice` explains why it is shown (e.g. the session ended). */
export function SignIn(props: { notice?: string; onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    document.title = "Sign in · DataHub console";
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const typed = key.trim();
    setKey("");
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await signIn(typed));
    } catch (err) {
      setError(reason(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>DataHub console</h1>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit}>
        <div class="field">
          <label for="api-key">API key</label>
          <input id="api-key" name="api-key" type="password" autoComplete="off" spellcheck={false} required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
          <small class="muted">The root key, or any key of your org. It is exchanged for a session and not kept by this page.</small>
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <ErrorMessage error={error} />
    </main>
  );
}
