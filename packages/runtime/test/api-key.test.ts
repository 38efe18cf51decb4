import { crc32 } from "node:zlib";
import { apiKeyChecksum, apiKeyPrefix, BASE62, generateApiKey, hashApiKey, isWellFormedApiKey } from "@datahub/runtime";

describe("API key format (docs/reference/api-keys.md)", () => {
  it("generates dh_ + 32 random + 6 checksum base62 characters", () => {
    const key = generateApiKey();
    expect(key).toMatch(/^dh_[0-9A-Za-z]{38}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(generateApiKey("dhr")).toMatch(/^dhr_[0-9A-Za-z]{38}$/);
  });

  it("computes the checksum as base62 of zlib crc32, left-padded to 6", () => {
    const random = "0123456789abcdefghijABCDEFGHIJkl";
    let n = crc32(Buffer.from(random)) >>> 0;
    let expected = "";
    while (n > 0) {
      expected = BASE62[n % 62] + expected;
      n = Math.floor(n / 62);
    }
    expect(apiKeyChecksum(random)).toBe(expected.padStart(6, "0"));
  });

  it("rejects look-alikes: a changed character, a wrong prefix, a wrong length", () => {
    const key = generateApiKey();
    const flipped = key.slice(0, 10) + (key[10] === "a" ? "b" : "a") + key.slice(11);
    expect(isWellFormedApiKey(flipped)).toBe(false);
    expect(isWellFormedApiKey("dx_" + key.slice(3))).toBe(false);
    expect(isWellFormedApiKey(key + "0")).toBe(false);
    expect(isWellFormedApiKey("")).toBe(false);
  });

  it("hashes with SHA-256 hex and shows an 8-character prefix", () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(apiKeyPrefix(key)).toBe(key.slice(3, 11));
    const root = generateApiKey("dhr");
    expect(apiKeyPrefix(root)).toBe(root.slice(4, 12));
  });

  it("draws characters uniformly enough (no modulo bias toward the first 8 symbols)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const ch of generateApiKey().slice(3, 35)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const values = [...counts.values()];
    expect(counts.size).toBe(62);
    const mean = (2000 * 32) / 62;
    expect(Math.max(...values)).toBeLessThan(mean * 1.15);
    expect(Math.min(...values)).toBeGreaterThan(mean * 0.85);
  });
});
