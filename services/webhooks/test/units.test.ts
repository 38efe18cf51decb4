/**
 * Unit tests of the pure parts: retry timing, event patterns, signing (checked by the independent
 * standardwebhooks package), the batcher. The SSRF policy has its own file (ssrf.test.ts).
 */
import { Webhook } from "standardwebhooks";
import { Batcher } from "../src/batcher";
import { nextDelayMs, parseRetryAfter } from "../src/retry-policy";
import { newSecret, signatureHeader } from "../src/signing";
import { matches, patternsMatching, validatePatterns } from "../src/validation";
import { startSweeper } from "../src/sweeper";
import { captureLogger } from "@datahub/runtime/testing";

describe("retry policy", () => {
  const policy = { scheduleMs: [5000, 300_000], retryAfterMaxMs: 60_000 };
  it("applies ±20 % jitter and stops after the schedule", () => {
    expect(nextDelayMs({ ...policy, random: () => 0 }, 1)).toBe(4000);
    expect(nextDelayMs({ ...policy, random: () => 0.999999 }, 1)).toBe(6000);
    expect(nextDelayMs({ ...policy, random: () => 0.5 }, 2)).toBe(300_000);
    expect(nextDelayMs(policy, 3)).toBeUndefined();
  });
  it("stretches to Retry-After, capped", () => {
    expect(nextDelayMs({ ...policy, random: () => 0.5 }, 1, 20_000)).toBe(20_000);
    expect(nextDelayMs({ ...policy, random: () => 0.5 }, 1, 3_600_000)).toBe(60_000);
    expect(nextDelayMs({ ...policy, random: () => 0.5 }, 1, 1000)).toBe(5000);
  });
  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("7")).toBe(7000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe("event patterns", () => {
  it("matches *, exact and prefix.* (a prefix never matches itself)", () => {
    expect(patternsMatching("order.item.created")).toEqual(["*", "order.item.created", "order.*", "order.item.*"]);
    expect(matches(["order.*"], "order.created")).toBe(true);
    expect(matches(["order.*"], "order")).toBe(false);
    expect(matches(["order.*"], "orders.created")).toBe(false);
    expect(matches(["*"], "anything.at.all")).toBe(true);
    expect(matches(["order.created"], "order.created.v2")).toBe(false);
  });
  it("dedupes and validates", () => {
    expect(validatePatterns(["a.*", "a.*", "b"])).toEqual(["a.*", "b"]);
    expect(() => validatePatterns(["a.*.b"])).toThrow(/events\[0\]/);
  });
});

describe("signing", () => {
  it("produces whsec_ secrets of 32 bytes and signatures standardwebhooks verifies", () => {
    const secret = newSecret();
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    const body = JSON.stringify({ id: "e1", type: "a.b", timestamp: new Date().toISOString(), data: { x: "é" } });
    const ts = Math.floor(Date.now() / 1000);
    const header = signatureHeader({ current: secret }, "e1", ts, body);
    expect(new Webhook(secret).verify(body, { "webhook-id": "e1", "webhook-timestamp": String(ts), "webhook-signature": header })).toBeTruthy();
    const other = newSecret();
    expect(() => new Webhook(other).verify(body, { "webhook-id": "e1", "webhook-timestamp": String(ts), "webhook-signature": header })).toThrow();
    expect(() => new Webhook(secret).verify(body + " ", { "webhook-id": "e1", "webhook-timestamp": String(ts), "webhook-signature": header })).toThrow();
  });
});

it("Batcher coalesces concurrent calls into one run and propagates failures to each caller", async () => {
  const runs: number[][] = [];
  const b = new Batcher<number, number>(async (keys) => {
    runs.push(keys);
    return keys.map((k) => k * 2);
  });
  expect(await Promise.all([1, 2, 3].map((k) => b.call(k)))).toEqual([2, 4, 6]);
  expect(runs).toEqual([[1, 2, 3]]);
  const failing = new Batcher<number, number>(async () => Promise.reject(new Error("db down")));
  await expect(Promise.all([failing.call(1), failing.call(2)])).rejects.toThrow("db down");
});

describe("sweeper retention scheduling", () => {
  it("purges on the first pass, not again within purgeEveryMs, and in batches until fewer than a batch remain", async () => {
    let clock = 1_000_000;
    const cutoffs: number[] = [];
    let left = 2_500; // events to delete: batches of 1000, 1000, 500
    const store = {
      dueDeliveries: async () => [],
      markEnqueued: async () => {},
      purgeEvents: async (before: Date, limit: number) => {
        cutoffs.push(before.getTime());
        const n = Math.min(left, limit);
        left -= n;
        return n;
      },
    };
    const purged: number[] = [];
    const sweeper = startSweeper({
      store: store as never,
      queue: { enqueue: async () => {} } as never,
      intervalMs: 3_600_000,
      overdueMs: 0,
      retentionMs: 30 * 86_400_000,
      purgeEveryMs: 3_600_000,
      onPurged: (n) => purged.push(n),
      now: () => clock,
      logger: captureLogger("warn").logger,
    });
    try {
      await sweeper.runNow();
      expect(purged).toEqual([2_500]);
      expect(cutoffs).toEqual([clock - 30 * 86_400_000, clock - 30 * 86_400_000, clock - 30 * 86_400_000]);
      clock += 3_599_999;
      await sweeper.runNow();
      expect(cutoffs).toHaveLength(3); // within the hour: no retention pass
      clock += 1;
      await sweeper.runNow();
      expect(cutoffs).toHaveLength(4);
      expect(purged).toEqual([2_500]); // nothing left: no count, no log line
    } finally {
      await sweeper.stop();
    }
  });
});
