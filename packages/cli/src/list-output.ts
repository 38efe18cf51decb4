import type { Page, PageIterable } from "@datahub/client";
import { note, printJson, printTable, type Column } from "./output";

/** Paging options of a list command. */
export interface ListOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
  json?: boolean;
}

/**
 * Prints a cursor-paginated list: one page (the API's `{data, nextCursor}` with `--json`), or with
 * `--all` every page, as one table or as `{data: [...every item], nextCursor: null}` — the shape
 * of the API's last page, so `jq '.data[]'` works either way.
 */
export async function printList<T>(list: PageIterable<T>, opts: ListOptions, columns: Column<T>[]): Promise<void> {
  let page: Page<T>;
  if (opts.all) {
    const data: T[] = [];
    for await (const item of list) data.push(item);
    page = { data, nextCursor: null };
  } else {
    page = await list.first();
  }
  if (opts.json) return printJson(page);
  printTable(page.data, columns);
  if (page.nextCursor) note(`more: --cursor ${page.nextCursor} (or --all)`);
}
