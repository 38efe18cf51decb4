/**
 * The signed-in state every page reads: the session, the SDK bound to it, and what to do when a
 * call finds the session gone (any 401: back to sign-in with a message).
 */
import { createContext, type ComponentChildren } from "preact";
import { useContext } from "preact/hooks";
import type { DataHubClient } from "@datahub/client";
import type { Session } from "./api";

/** What {@link useSession} gives a page. */
export interface SessionState {
  session: Session;
  client: DataHubClient;
  /** Ends the session on the edge, then shows sign-in. */
  signOut(): Promise<void>;
  /** Called with every failed call: a 401 means the session ended. */
  reportError(err: unknown): void;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/** Provides the signed-in state to the pages below it. */
export function SessionProvider(props: { value: SessionState; children: ComponentChildren }) {
  return <SessionContext.Provider value={props.value}>{props.children}</SessionContext.Provider>;
}

/** The signed-in state; only pages rendered after sign-in call it. */
export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in console");
  return s;
}
