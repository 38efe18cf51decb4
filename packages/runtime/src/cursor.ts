/**
 * Opaque pagination cursors shared by every service's list calls: a JSON tuple of the last row's
 * sort key, base64url-encoded. Clients must treat cursors as opaque; each service checks the
 * tuple's shape when it reads one back.
 */

/** Encodes a page position (e.g. `[createdAtMs, id]`) as an opaque token. */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/**
 * Decodes a token made by {@link encodeCursor} into its tuple; undefined for anything that is not
 * one (wrong alphabet, longer than `maxLength`, not JSON, not an array of `length` items).
 */
export function decodeCursor(token: string, length: number, maxLength = 200): unknown[] | undefined {
  if (token.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    return Array.isArray(v) && v.length === length ? v : undefined;
  } catch {
    return undefined;
  }
}
