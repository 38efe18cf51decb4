import { MAX_JSON_DEPTH } from "@datahub/runtime";
import { ValidationError } from "../src/errors";
import { memoryKeys } from "./helpers";

/** Runs `fn`, expects a ValidationError, returns its field. */
async function fieldOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message.startsWith((err as ValidationError).field)).toBe(true);
    return (err as ValidationError).field;
  }
  throw new Error("expected a ValidationError");
}

describe("validation errors name the field", () => {
  let ctx: ReturnType<typeof memoryKeys>;
  let orgId: string;
  beforeEach(async () => {
    ctx = memoryKeys();
    orgId = (await ctx.keys.createOrg("acme")).id;
  });
  const create = (over: Record<string, unknown>) => ctx.keys.createKey({ orgId, name: "k", ...over } as never);

  it("name: empty, too long, missing", async () => {
    expect(await fieldOf(() => create({ name: "" }))).toBe("name");
    expect(await fieldOf(() => create({ name: "   " }))).toBe("name");
    expect(await fieldOf(() => create({ name: "x".repeat(201) }))).toBe("name");
    expect(await fieldOf(() => create({ name: undefined }))).toBe("name");
    await expect(create({ name: "x".repeat(200) })).resolves.toBeDefined();
  });

  it("scopes: grammar and count", async () => {
    expect(await fieldOf(() => create({ scopes: ["Orders:Read"] }))).toBe("scopes[0]");
    expect(await fieldOf(() => create({ scopes: ["ok", "has space"] }))).toBe("scopes[1]");
    expect(await fieldOf(() => create({ scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) }))).toBe("scopes");
    await expect(create({ scopes: ["*", "keys:*", "orders:read", "a.b-c_d:e"] })).resolves.toBeDefined();
  });

  it("metadata: object only, at most 4 KiB", async () => {
    expect(await fieldOf(() => create({ metadata: [] }))).toBe("metadata");
    expect(await fieldOf(() => create({ metadata: "x" }))).toBe("metadata");
    expect(await fieldOf(() => create({ metadata: { big: "x".repeat(4096) } }))).toBe("metadata");
    await expect(create({ metadata: { big: "x".repeat(4000) } })).resolves.toBeDefined();
  });

  it(`metadata: nested at most MAX_JSON_DEPTH (${MAX_JSON_DEPTH}) levels, checked before anything recursive`, async () => {
    const nested = (n: number) => JSON.parse('{"a":'.repeat(n) + "1" + "}".repeat(n));
    await expect(create({ metadata: nested(MAX_JSON_DEPTH) })).resolves.toBeDefined();
    expect(await fieldOf(() => create({ metadata: nested(MAX_JSON_DEPTH + 1) }))).toBe("metadata");
    expect(await fieldOf(() => create({ metadata: nested(100_000) }))).toBe("metadata");
  });

  it("expiresAt: must be in the future", async () => {
    expect(await fieldOf(() => create({ expiresAt: new Date(ctx.clock.now) }))).toBe("expiresAt");
    expect(await fieldOf(() => create({ expiresAt: new Date(NaN) }))).toBe("expiresAt");
  });

  it("rateLimit: limit, windowSeconds, algorithm", async () => {
    expect(await fieldOf(() => create({ rateLimit: { limit: 0, windowSeconds: 1 } }))).toBe("rateLimit.limit");
    expect(await fieldOf(() => create({ rateLimit: { limit: 1e9 + 1, windowSeconds: 1 } }))).toBe("rateLimit.limit");
    expect(await fieldOf(() => create({ rateLimit: { limit: 1.5, windowSeconds: 1 } }))).toBe("rateLimit.limit");
    expect(await fieldOf(() => create({ rateLimit: { limit: 1, windowSeconds: 0 } }))).toBe("rateLimit.windowSeconds");
    expect(await fieldOf(() => create({ rateLimit: { limit: 1, windowSeconds: 86401 } }))).toBe("rateLimit.windowSeconds");
    expect(await fieldOf(() => create({ rateLimit: { limit: 1, windowSeconds: 1, algorithm: "leaky" } }))).toBe("rateLimit.algorithm");
    for (const algorithm of ["", "sliding-log", "gcra", "sliding-window", "fixed-window"]) {
      await expect(create({ rateLimit: { limit: 1e9, windowSeconds: 86400, algorithm } })).resolves.toBeDefined();
    }
  });

  it("ids, list limit and cursor, grace, org name", async () => {
    expect(await fieldOf(() => ctx.keys.createKey({ orgId: "nope", name: "k" }))).toBe("orgId");
    expect(await fieldOf(() => ctx.keys.getKey(orgId, "not-a-uuid"))).toBe("id");
    expect(await fieldOf(() => ctx.keys.listKeys(orgId, { limit: 101 }))).toBe("limit");
    expect(await fieldOf(() => ctx.keys.listKeys(orgId, { cursor: "garbage!" }))).toBe("cursor");
    const { apiKey } = await create({});
    expect(await fieldOf(() => ctx.keys.rotateKey(orgId, apiKey.id, { gracePeriodSeconds: -1 }))).toBe("gracePeriodSeconds");
    expect(await fieldOf(() => ctx.keys.updateKey(orgId, apiKey.id, { name: "" }))).toBe("name");
    expect(await fieldOf(() => ctx.keys.createOrg("root"))).toBe("name");
    expect(await fieldOf(() => ctx.keys.createOrg(""))).toBe("name");
  });
});
