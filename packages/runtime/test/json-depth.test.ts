/**
 * JSON nesting depth (src/json-depth.ts): the raw-text scan and the parsed-value walk agree with
 * each other on every shape, stop early, and survive depths that overflow anything recursive.
 */
import { jsonTextTooDeep, jsonValueTooDeep, MAX_JSON_DEPTH } from "../src/json-depth";

const bytes = (s: string) => Buffer.from(s, "utf8");
const arrays = (n: number) => "[".repeat(n) + "]".repeat(n);
const objects = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

describe("jsonTextTooDeep and jsonValueTooDeep", () => {
  it.each([
    ["scalar", "1", 0],
    ["empty object", "{}", 1],
    ["object in array", '[{"a":1}]', 2],
    ["brackets inside strings do not count", '{"a":"[[[[{{{{","b":["]]]]}}"]}', 2],
    ["escaped quotes inside strings", '{"a":"\\"[[[[\\\\","b":[[1]]}', 3],
    ["multi-byte UTF-8 and unicode escapes", '{"é€😀":["\\u005b\\u005b", {"ключ": []}]}', 4],
    ["siblings do not add up", '[[1],[2],[[3]],{"a":{}}]', 3],
    ["32 arrays", arrays(32), 32],
    ["32 objects", objects(32), 32],
  ])("%s", (_name, text, depth) => {
    expect(jsonTextTooDeep(bytes(text), depth)).toBe(false);
    expect(jsonValueTooDeep(JSON.parse(text), depth)).toBe(false);
    if (depth > 0) {
      expect(jsonTextTooDeep(bytes(text), depth - 1)).toBe(true);
      expect(jsonValueTooDeep(JSON.parse(text), depth - 1)).toBe(true);
    }
  });

  it(`defaults to MAX_JSON_DEPTH (${MAX_JSON_DEPTH})`, () => {
    expect(jsonTextTooDeep(bytes(objects(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonTextTooDeep(bytes(objects(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(jsonValueTooDeep(JSON.parse(arrays(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonValueTooDeep(JSON.parse(arrays(MAX_JSON_DEPTH + 1)))).toBe(true);
  });

  it("copes with depths that overflow the stack of anything recursive", () => {
    const text = arrays(100_000);
    expect(jsonTextTooDeep(bytes(text))).toBe(true);
    expect(jsonValueTooDeep(JSON.parse(text))).toBe(true);
    expect(() => JSON.stringify(JSON.parse(text))).toThrow(RangeError); // what the limit protects against
  });

  it("stops at the first byte past the limit", () => {
    // Counts which bytes the scan reads (a clock would flake on a loaded machine): 8 MiB of `[`,
    // of which only the first MAX_JSON_DEPTH + 1 may be looked at.
    const hostile = Buffer.alloc(8 << 20, 0x5b);
    let furthest = -1;
    const watched = new Proxy(hostile, {
      get(target, prop) {
        if (typeof prop === "string" && /^\d+$/.test(prop)) furthest = Math.max(furthest, Number(prop));
        return Reflect.get(target, prop);
      },
    });
    expect(jsonTextTooDeep(watched)).toBe(true);
    expect(furthest).toBe(MAX_JSON_DEPTH);
  });

  it("a truncated or unbalanced text is not an error (JSON.parse refuses it later)", () => {
    expect(jsonTextTooDeep(bytes('{"a":"unterminated'))).toBe(false);
    expect(jsonTextTooDeep(bytes("]]]]"))).toBe(false);
  });
});
