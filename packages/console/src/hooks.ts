/** Small hooks the pages share: loading data, and the page title. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { useSession } from "./session";

/** The state of one asynchronous load. */
export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (after a change). */
  reload(): void;
}

/**
 * Runs `load` when `deps` change and keeps the latest answer; an answer that arrives after a newer
 * load started is dropped. Failures go to the session's error report too (a 401 signs out).
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const { reportError } = useSession();
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const generation = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => mine === generation.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => {
        if (mine !== generation.current) return;
        setState({ data: undefined, error, loading: false });
        reportError(error);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Sets the document title for a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · DataHub console`;
  }, [title]);
}
