/** One page of a cursor-paginated list, exactly as the API returns it. */
export interface Page<T> {
  data: T[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/**
 * A cursor-paginated list. Iterate it (`for await (const key of client.keys.list())`) to get every
 * item across pages, fetched one page at a time as the loop advances; or walk `pages()`, or take
 * `first()` for one page (honouring the `cursor` the list was created with).
 */
export interface PageIterable<T> extends AsyncIterable<T> {
  /** Every page, starting at the list's `cursor`, until `nextCursor` is null. */
  pages(): AsyncIterableIterator<Page<T>>;
  /** The first page only. */
  first(): Promise<Page<T>>;
}

/** Builds a {@link PageIterable} from a function that fetches the page at a cursor. */
export function paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, startCursor?: string): PageIterable<T> {
  async function* pages(): AsyncIterableIterator<Page<T>> {
    let cursor = startCursor;
    do {
      const page = await fetchPage(cursor);
      yield page;
      // An empty page with a cursor would loop for ever on a misbehaving server; stop instead.
      cursor = page.nextCursor && page.data.length ? page.nextCursor : undefined;
    } while (cursor);
  }
  return {
    pages,
    first: () => fetchPage(startCursor),
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page.data;
    },
  };
}
