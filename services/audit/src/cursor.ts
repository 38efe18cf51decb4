import type { Cursor } from "./store/types";

/** Encodes a page position as an opaque base64url token (clients must not parse it). */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.tsMs, c.id])).toString("base64url");
}

/** Decodes a token made by {@link encodeCursor}; returns undefined for anything else. */
export function decodeCursor(token: string): Cursor | undefined {
  if (token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!Array.isArray(v) || v.length !== 2) return undefined;
    const [tsMs, id] = v as unknown[];
    if (!Number.isSafeInteger(tsMs) || !Number.isSafeInteger(id) || (id as number) < 0) return undefined;
    return { tsMs: tsMs as number, id: id as number };
  } catch {
    return undefined;
  }
}
