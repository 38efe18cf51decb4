/**
 * The console's entry: finds out whether a session is live, then shows sign-in or the pages.
 * Routes are real paths below the page's `<base>` (the edge serves index.html for all of them).
 */
import { render } from "preact";
import { useCallback, useEffect, useErrorBoundary, useMemo, useState } from "preact/hooks";
import { Route, Router, Switch } from "wouter-preact";
import { DataHubError } from "@datahub/client";
import { clientFor, currentSession, signOut, type Session } from "./api";
import { ErrorMessage } from "./components/ErrorMessage";
import { Layout } from "./components/Layout";
import { SessionProvider, type SessionState } from "./session";
import { SignIn } from "./pages/SignIn";
import { Overview } from "./pages/Overview";
import { Keys } from "./pages/Keys";
import { KeyDetail } from "./pages/KeyDetail";
import { Orgs } from "./pages/Orgs";
import { Logs } from "./pages/Logs";
import { LogDetail } from "./pages/LogDetail";
import { Webhooks } from "./pages/Webhooks";
import { WebhookDetail } from "./pages/WebhookDetail";
import "./styles.css";

/** `/console` for a page at `/console/...`: what wouter strips from every location. */
const BASE_PATH = new URL(document.baseURI).pathname.replace(/\/$/, "");

type State = { phase: "loading" } | { phase: "signed-out"; notice?: string } | { phase: "signed-in"; session: Session };

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>There is no console page here.</p>
    </>
  );
}

/** Catches a page that failed to render, so the frame and navigation stay usable. */
function PageBoundary(props: { children: preact.ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <>
        <h1>This page failed</h1>
        <ErrorMessage error={error} />
        <button type="button" onClick={reset}>
          Try again
        </button>
      </>
    );
  }
  return <>{props.children}</>;
}

function App() {
  const [state, setState] = useState<State>({ phase: "loading" });
  useEffect(() => {
    currentSession().then(
      (session) => setState({ phase: "signed-in", session }),
      (err: unknown) => setState({ phase: "signed-out", notice: err instanceof DataHubError && err.status !== 401 ? `The console could not check your session: ${err.detail}` : undefined }),
    );
  }, []);
  const ended = useCallback(() => setState({ phase: "signed-out", notice: "Your session ended; sign in again." }), []);
  const value = useMemo<SessionState | undefined>(() => {
    if (state.phase !== "signed-in") return undefined;
    const session = state.session;
    return {
      session,
      client: clientFor(session),
      signOut: async () => {
        await signOut(session.csrfToken).catch(() => undefined);
        setState({ phase: "signed-out", notice: "You are signed out." });
      },
      reportError: (err) => {
        if (err instanceof DataHubError && err.status === 401) ended();
      },
    };
  }, [state, ended]);

  if (state.phase === "loading") return <p class="loading" role="status">Loading…</p>;
  if (state.phase === "signed-out" || value === undefined) {
    return <SignIn notice={state.phase === "signed-out" ? state.notice : undefined} onSignedIn={(session) => setState({ phase: "signed-in", session })} />;
  }
  return (
    <SessionProvider value={value}>
      <Router base={BASE_PATH}>
        <Layout>
          <PageBoundary>
            <Switch>
              <Route path="/" component={Overview} />
              <Route path="/keys" component={Keys} />
              <Route path="/keys/:id" component={KeyDetail} />
              <Route path="/orgs" component={Orgs} />
              <Route path="/logs" component={Logs} />
              <Route path="/logs/:requestId" component={LogDetail} />
              <Route path="/webhooks" component={Webhooks} />
              <Route path="/webhooks/:id" component={WebhookDetail} />
              <Route component={NotFound} />
            </Switch>
          </PageBoundary>
        </Layout>
      </Router>
    </SessionProvider>
  );
}

render(<App />, document.getElementById("app")!);
