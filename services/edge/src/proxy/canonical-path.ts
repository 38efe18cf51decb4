/**
 * The one path normalisation of the edge (docs/security.md, "Paths"). Route
 * matching, the `/v1` check, the request log, metrics and the forwarder all read its result, so
 * the upstream receives exactly the path that was matched: a request can no longer match one
 * route (a public sibling, a prefix its key may use) while a decoding upstream reads another.
 *
 * The canonical form (RFC 3986 §6.2.2 syntax-based normalisation, plus refusals):
 * - unreserved characters (ALPHA DIGIT - . _ ~) are never percent-encoded, every other escape has
 *   uppercase hex, and characters that may not appear raw (`"` `<` `>` `[` `]` `^` `` ` `` `{` `|`
 *   `}`) are encoded;
 * - runs of `/` are merged into one (Envoy's `merge_slashes`, nginx's `merge_slashes on`);
 * - refused: `.`/`..` segments (raw or encoded, also before a `;` parameter, as Tomcat reads
 *   `..;`), backslashes (raw or `%5C`), malformed escapes, control characters (raw or `%00`–`%1F`,
 *   `%7F`), a raw `#`, raw non-ASCII, and encoded slashes (`%2F`) unless the matched route sets
 *   `allowEncodedSlashes` (then `%2F` stays encoded and is not a separator).
 * The query string is not normalised: {@link RequestTarget} keeps it as received.
 */

/** Why a path was refused: a 400 `invalid-path` problem. */
export class PathRefusal {
  /** The problem's `detail`. */
  readonly detail: string;

  constructor(
    /** What is wrong, as a phrase after "the path" (also used in datahub.yaml errors). */
    readonly reason: string,
    /**
     * Set only for the refusal a route may waive (encoded slashes): the canonical path, with each
     * encoded slash kept as `%2F`.
     */
    readonly path?: string,
  ) {
    this.detail = `The path ${reason}.`;
  }
}

const TARGET = new PathRefusal("must start with `/` (or the request target be an absolute http(s) URL)");
const MALFORMED = new PathRefusal("contains a malformed percent-escape: `%` must be followed by two hex digits");
const CONTROL = new PathRefusal("must not contain control characters, raw or percent-encoded (`%00`-`%1F`, `%7F`)");
const BACKSLASH = new PathRefusal("must not contain backslashes, raw or percent-encoded (`%5C`)");
const DOT_SEGMENT = new PathRefusal("must not contain `.` or `..` segments, raw or percent-encoded");
const FRAGMENT = new PathRefusal("must not contain a fragment (`#`)");
const NON_ASCII = new PathRefusal("must not contain raw non-ASCII characters (percent-encode them)");
const ENCODED_SLASH_REASON = "must not contain an encoded slash (`%2F`) unless its route sets `allowEncodedSlashes`";

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH_CODE = 0x5c;
const HASH = 0x23;

/** Characters kept raw as they are: unreserved except `.`, sub-delims, `:` and `@` (`.`, `/`, `%` are handled apart). */
const KEPT_RAW = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~!$&'()*+,;=:@";
const PLAIN = new Uint8Array(128);
for (const c of KEPT_RAW) PLAIN[c.charCodeAt(0)] = 1;

/** 1: an unreserved character, decoded when percent-encoded. */
const UNRESERVED = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") UNRESERVED[c.charCodeAt(0)] = 1;

/** `%XX` with uppercase hex for every byte. */
const ESCAPED = Array.from({ length: 256 }, (_, b) => "%" + b.toString(16).toUpperCase().padStart(2, "0"));

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

const KEPT_CLASS = KEPT_RAW.replace(/[-\\\]^]/g, "\\$&");
/**
 * An already canonical path, up to the query or the end: segments that start with a character
 * kept raw other than `.` and go on with such characters or `.`. Sticky, so that `lastIndex` tells
 * where the path ends; irregexp runs it faster than a JavaScript loop over the characters.
 */
const CANONICAL = new RegExp(`(?:/[${KEPT_CLASS}][${KEPT_CLASS}.]*)*/?(?=\\?|$)`, "y");

/**
 * The canonical form of a path (without the query): the path itself when it is already canonical
 * (one regex scan, no allocation — the common case), a rewritten path, or a {@link PathRefusal}.
 * An absolute-form target (`http://host/path`) is reduced to its path.
 */
export function canonicalPath(path: string): string | PathRefusal {
  CANONICAL.lastIndex = 0;
  if (path.length > 0 && CANONICAL.test(path) && CANONICAL.lastIndex === path.length) return path;
  return path.charCodeAt(0) === SLASH ? rewrite(path) : absoluteForm(path);
}

/**
 * A request target (`req.url`) split into its canonical path and its query, kept as received.
 * One instance serves a pipeline: {@link RequestTarget.parse} refills it and the caller reads the
 * fields at once, so a request costs no allocation here; on an already canonical path the regex
 * scan also finds the query, where splitting first would scan the path twice.
 */
export class RequestTarget {
  /** The canonical path; when it is refused, the path as received (what the request log records). */
  path = "/";
  /** `?…` as received, or ''. */
  search = "";
  /** Why the path was refused; a refusal with a `path` (encoded slashes) is one the matched route may waive. */
  refusal: PathRefusal | undefined = undefined;

  /** Splits and normalises `url`. */
  parse(url: string): void {
    CANONICAL.lastIndex = 0;
    const end = CANONICAL.test(url) ? CANONICAL.lastIndex : 0;
    if (end > 0) {
      this.path = end === url.length ? url : url.slice(0, end);
      this.search = end === url.length ? "" : url.slice(end);
      this.refusal = undefined;
      return;
    }
    const q = url.indexOf("?");
    const raw = q === -1 ? url : url.slice(0, q);
    this.search = q === -1 ? "" : url.slice(q);
    const canonical = canonicalPath(raw);
    this.path = typeof canonical === "string" ? canonical : (canonical.path ?? raw);
    this.refusal = typeof canonical === "string" ? undefined : canonical;
  }
}

/** `http(s)://authority/path` → the canonical `/path`; any other non-origin-form target is refused. */
function absoluteForm(target: string): string | PathRefusal {
  const m = /^https?:\/\/[^/]*/i.exec(target);
  if (m === null) return TARGET;
  return m[0].length === target.length ? "/" : canonicalPath(target.slice(m[0].length));
}

/** The slow path: segment by segment, merging empty segments (doubled slashes). */
function rewrite(path: string): string | PathRefusal {
  const segments = path.slice(1).split("/");
  const last = segments.length - 1;
  let out = "";
  let encodedSlash = false;
  for (let i = 0; i <= last; i++) {
    const raw = segments[i]!;
    if (raw === "") {
      // A trailing slash is kept (it can be significant upstream); inner empty segments are merged.
      if (i === last) out += "/";
      continue;
    }
    const seg = segment(raw);
    if (typeof seg !== "string") return seg;
    if (seg.includes("%2F")) {
      // Every `%` of a canonical segment starts an escape, so this finds encoded slashes only.
      encodedSlash = true;
      for (const piece of seg.split("%2F")) if (isDotSegment(piece)) return DOT_SEGMENT;
    } else if (isDotSegment(seg)) return DOT_SEGMENT;
    out += "/" + seg;
  }
  if (out === "") out = "/";
  return encodedSlash ? new PathRefusal(ENCODED_SLASH_REASON, out) : out;
}

/** `.` or `..`, also followed by a `;` parameter (`..;x`, read as `..` by Tomcat and Jetty). */
function isDotSegment(seg: string): boolean {
  const semi = seg.indexOf(";");
  const name = semi === -1 ? seg : seg.slice(0, semi);
  return name === "." || name === "..";
}

/** One segment (no raw `/`) in canonical form, or why it is refused. */
function segment(s: string): string | PathRefusal {
  let out = "";
  let run = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c < 128 && PLAIN[c] === 1) || c === DOT) continue;
    let replacement: string;
    if (c === PERCENT) {
      const hi = i + 2 < n ? hexValue(s.charCodeAt(i + 1)) : -1;
      const lo = hi === -1 ? -1 : hexValue(s.charCodeAt(i + 2));
      if (lo === -1) return MALFORMED;
      const v = hi * 16 + lo;
      if (v < 0x20 || v === 0x7f) return CONTROL;
      if (v === BACKSLASH_CODE) return BACKSLASH;
      replacement = v < 128 && UNRESERVED[v] === 1 ? String.fromCharCode(v) : ESCAPED[v]!;
      out += s.slice(run, i) + replacement;
      i += 2;
      run = i + 1;
      continue;
    }
    if (c === BACKSLASH_CODE) return BACKSLASH;
    if (c < 0x20 || c === 0x7f) return CONTROL;
    if (c === HASH) return FRAGMENT;
    if (c > 0x7f) return NON_ASCII;
    // Printable ASCII that may not appear raw in a path: encode it.
    out += s.slice(run, i) + ESCAPED[c]!;
    run = i + 1;
  }
  return run === 0 ? s : out + s.slice(run);
}
