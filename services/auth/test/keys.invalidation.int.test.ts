import { authInvalidationChannel, hashApiKey } from "@datahub/runtime";
import { eventually, TEST_REDIS_URL } from "@datahub/runtime/testing";
import { Redis } from "ioredis";
import { newOrg, startAuth, type AuthHarness } from "./auth-harness";

let h: AuthHarness;
let sub: Redis;
const messages: string[] = [];

beforeAll(async () => {
  h = await startAuth();
  sub = new Redis(TEST_REDIS_URL);
  await sub.subscribe(authInvalidationChannel(h.config.redis.prefix));
  sub.on("message", (_channel: string, message: string) => messages.push(message));
});
afterAll(async () => {
  sub.disconnect();
  await h.close();
});

/** Waits until `hash` has been published `times` times in total. */
const published = (hash: string, times = 1) => eventually(() => messages.filter((m) => m === hash).length >= times, 2000);

describe("invalidation push on the auth channel", () => {
  it("publishes the key's SHA-256 on create, update, revoke and rotate (old and new key)", async () => {
    const orgId = await newOrg(h);
    const a = await h.client.createKey({ orgId, name: "a" });
    const hashA = hashApiKey(a.key);
    await published(hashA, 1);

    await h.client.updateKey({ orgId, id: a.apiKey!.id, name: "a2" });
    await published(hashA, 2);

    const rotated = await h.client.rotateKey({ orgId, id: a.apiKey!.id, gracePeriodSeconds: 10 });
    await published(hashA, 3);
    const hashB = hashApiKey(rotated.key);
    await published(hashB, 1); // the new key may be in edges' negative caches

    await h.client.revokeKey({ orgId, id: rotated.apiKey!.id });
    await published(hashB, 2);

    // Only hashes travel: never a key.
    expect(messages.every((m) => /^[0-9a-f]{64}$/.test(m))).toBe(true);
    const metric = await h.runner.registry.getSingleMetric("datahub_auth_invalidations_total")!.get();
    expect(metric.values.find((v) => v.labels.outcome === "published")!.value).toBeGreaterThanOrEqual(5);
  });
});
