import { hash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * API key format (docs/reference/api-keys.md, GitHub's scheme): `dh_` (or `dhr_` for root keys) + 32 base62
 * characters of CSPRNG output + 6 base62 characters of CRC-32 checksum over those 32 characters.
 * Secret scanners match `dh_[0-9A-Za-z]{38}`; the checksum lets the edge reject typos and
 * look-alikes offline, without a lookup.
 */
export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KEY_RE = /^(dh|dhr)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;

/** Which kind of key: an org key (`dh_`) or a root key (`dhr_`). */
export type ApiKeyKind = "dh" | "dhr";

function toBase62(n: number, width: number): string {
  let out = "";
  let v = n;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, "0");
}

/** The 6-character base62 CRC-32 checksum of the random part. */
export function apiKeyChecksum(random: string): string {
  return toBase62(crc32(Buffer.from(random, "ascii")) >>> 0, 6);
}

/** Returns 32 uniformly random base62 characters (rejection sampling avoids modulo bias). */
function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** Generates a new key of the given kind. */
export function generateApiKey(kind: ApiKeyKind = "dh"): string {
  const random = randomBase62(32);
  return `${kind}_${random}${apiKeyChecksum(random)}`;
}

/** True when the key has the right shape and its checksum matches. Costs no I/O. */
export function isWellFormedApiKey(key: string): boolean {
  const m = KEY_RE.exec(key);
  return m !== null && apiKeyChecksum(m[2]!) === m[3];
}

/**
 * SHA-256 (hex) of the key: the only form in which keys are stored or cached. The one-shot
 * `crypto.hash` costs a quarter of `createHash().update().digest()` (0.25 vs 1.0 µs here), and
 * the edge hashes the key of every request.
 */
export function hashApiKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** The display prefix: the first 8 characters after `dh_` / `dhr_`. */
export function apiKeyPrefix(key: string): string {
  return key.slice(key.indexOf("_") + 1, key.indexOf("_") + 9);
}
