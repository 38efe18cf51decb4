/**
 * How deeply client JSON may nest, and loops (never recursion) that measure it. Everything that
 * walks JSON after parsing — zod's `z.json()`, protobuf-es's Struct/Value conversion, the
 * protobuf decoder of every gRPC service, `JSON.stringify` — recurses, and V8 does not always
 * recover from a stack overflow, so depth is bounded before any of them runs
 * (docs/security.md, "JSON nesting depth").
 */

/**
 * The deepest nesting of objects and arrays accepted in client JSON (`{}` is 1 level, `{"a":[]}`
 * is 2). Each JSON level costs two protobuf messages on the internal gRPC wire (Value + Struct or
 * ListValue), and protobuf-es refuses to decode messages nested more than 100 deep, so 49 JSON
 * levels is the most a service can receive at all (measured); 32 leaves room for the envelopes
 * that wrap client JSON later (a key's metadata inside a `key.*` event, inside a response). Not a
 * setting: raising it would turn 400s into decoding failures between services.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when the UTF-8 JSON text `bytes` nests objects and arrays deeper than `limit`; stops at the
 * first byte past it, so a hostile body costs microseconds instead of a full parse. Exact for valid
 * JSON: brackets inside strings are skipped, and UTF-8 never uses bytes below 0x80 inside a
 * multi-byte character. For invalid JSON the answer does not matter: the parser refuses it.
 */
export function jsonTextTooDeep(bytes: Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * True when the parsed JSON `value` (or a protobuf-es JsonValue) nests objects and arrays deeper
 * than `limit`. For values that arrive already parsed (gRPC Struct fields); an explicit stack
 * keeps it safe at any depth.
 */
export function jsonValueTooDeep(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}
