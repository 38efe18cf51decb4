/**
 * The console's pure logic: which controls a key's scopes enable, and the log explorer's filters
 * between the URL, the form and the logs API.
 */
import { can } from "../src/scopes";
import { filtersFromSearch, queryFromFilters, searchFromFilters } from "../src/pages/log-filters";
import { count, ms, rateLimit, when } from "../src/format";

describe("can", () => {
  const key = (scopes: string[], root = false) => ({ key: { root, scopes } });

  it("follows the gateway's grammar: exact, *, and name:*", () => {
    expect(can(key(["keys:read"]), "keys:read")).toBe(true);
    expect(can(key(["keys:read"]), "keys:write")).toBe(false);
    expect(can(key(["keys:*"]), "keys:write")).toBe(true);
    expect(can(key(["*"]), "webhooks:write")).toBe(true);
    expect(can(key(["keys"]), "keys:read")).toBe(false);
    expect(can(key(["key:*"]), "keys:read")).toBe(false);
  });

  it("lets a root key do everything", () => {
    expect(can(key([], true), "routes:read")).toBe(true);
  });
});

describe("log filters", () => {
  it("round-trips through the URL, keeping only the filters that are set", () => {
    const f = filtersFromSearch("status=429&method=GET&utm=x&path=%2Fapi");
    expect(f).toEqual({ keyId: "", status: "429", method: "GET", path: "/api", from: "", to: "" });
    expect(searchFromFilters(f)).toBe("status=429&method=GET&path=%2Fapi");
    expect(searchFromFilters(filtersFromSearch(""))).toBe("");
  });

  it("becomes the logs API's query, with local times as instants", () => {
    const q = queryFromFilters({ keyId: " k1 ", status: "500", method: "POST", path: "/x", from: "2030-01-02T03:04", to: "" });
    expect(q).toEqual({ keyId: "k1", status: 500, method: "POST", path: "/x", from: new Date("2030-01-02T03:04").toISOString() });
  });

  it("passes a value the API will refuse through, for the API to explain", () => {
    expect(queryFromFilters({ keyId: "", status: "", method: "", path: "", from: "not a date", to: "" }).from).toBe("not a date");
  });
});

describe("format", () => {
  it("reads durations, counts, rate limits and missing times", () => {
    expect(ms(1.234)).toBe("1.23 ms");
    expect(ms(123.4)).toBe("123.4 ms");
    expect(ms(2500)).toBe("2.50 s");
    expect(count(1234567)).toMatch(/^1.234.567$/);
    expect(rateLimit({ limit: 100, windowSeconds: 60, algorithm: "gcra" })).toBe("100 / 60 s (gcra)");
    expect(rateLimit(null)).toBe("none");
    expect(when(null)).toBe("—");
  });
});
