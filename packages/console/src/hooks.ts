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

/** A cursor-paged list as a page shows it: the items so far, and "load more". */
export interface Pages<T> {
  items: T[];
  /** True while there is a next page. */
  more: boolean;
  loading: boolean;
  error: unknown;
  /** Appends the next page. */
  loadMore(): void;
  /** Starts again from the first page. */
  reload(): void;
}

/**
 * Loads the first page of `fetchPage` when `deps` change and appends later pages on demand; an
 * answer that arrives after a newer load started is dropped. Failures also go to the session's
 * error report (a 401 signs out).
 */
export function usePages<T>(fetchPage: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>, deps: unknown[]): Pages<T> {
  const { reportError } = useSession();
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const generation = useRef(0);
  const load = (from: string | undefined, append: boolean) => {
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    fetchPage(from).then(
      (page) => {
        if (mine !== generation.current) return;
        setItems((prev) => (append ? [...prev, ...page.data] : page.data));
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== generation.current) return;
        setError(err);
        setLoading(false);
        reportError(err);
      },
    );
  };
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => load(undefined, false), deps);
  return { items, more: cursor !== null, loading, error, loadMore: () => cursor !== null && load(cursor, true), reload: () => load(undefined, false) };
}
