import { decodeCursor as decodeTuple, encodeCursor as encodeTuple } from "@datahub/runtime";
import type { Cursor } from "./store/types";

/** Encodes a page position (timestamp, tiebreaker id) as an opaque token. */
export function encodeCursor(c: Cursor): string {
  return encodeTuple([c.tsMs, c.id]);
}

/** Decodes a token made by {@link encodeCursor}; returns undefined for anything else. */
export function decodeCursor(token: string): Cursor | undefined {
  const v = decodeTuple(token, 2);
  if (v === undefined) return undefined;
  const [tsMs, id] = v;
  if (!Number.isSafeInteger(tsMs) || !Number.isSafeInteger(id) || (id as number) < 0) return undefined;
  return { tsMs: tsMs as number, id: id as number };
}
