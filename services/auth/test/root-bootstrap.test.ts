import { generateApiKey, hashApiKey } from "@datahub/runtime";
import { captureLogger } from "@datahub/runtime/testing";
import { NoopInvalidationPublisher } from "../src/invalidation";
import { bootstrapRootKey } from "../src/root-bootstrap";
import { MemoryKeyStore } from "../src/store/memory-key-store";

function setup() {
  const store = new MemoryKeyStore();
  const publisher = new NoopInvalidationPublisher();
  const log = captureLogger();
  const printed: string[] = [];
  const run = (rootKey?: string) => bootstrapRootKey({ store, publisher, logger: log.logger, rootKey, print: (t) => printed.push(t) });
  return { store, publisher, log, printed, run };
}

describe("root key bootstrap (memory store)", () => {
  it("generates a dhr_ key, prints it once in a frame, never logs it", async () => {
    const { store, log, printed, run } = setup();
    expect(await run()).toBe("generated");
    expect(printed).toHaveLength(1);
    const key = /dhr_[0-9A-Za-z]{38}/.exec(printed[0]!)![0];
    expect(printed[0]).toContain("=".repeat(72));
    const root = await store.findActiveRootKey();
    expect(root).toMatchObject({ keyHash: hashApiKey(key), root: true, scopes: ["*"], name: "root" });
    expect((await store.listOrgs()).map((o) => o.name)).toEqual(["root"]);
    expect(await run()).toBe("existing");
    expect(printed).toHaveLength(1);
    expect(log.text()).not.toContain(key);
  });

  it("installs DATAHUB_ROOT_KEY without printing it", async () => {
    const { store, printed, log, run } = setup();
    const envKey = generateApiKey("dhr");
    expect(await run(envKey)).toBe("from-env");
    expect(printed).toEqual([]);
    expect((await store.findActiveRootKey())?.keyHash).toBe(hashApiKey(envKey));
    expect(log.text()).not.toContain(envKey);
  });

  it("logs that a different DATAHUB_ROOT_KEY was ignored when a root key exists", async () => {
    const { log, run } = setup();
    await run(generateApiKey("dhr"));
    const other = generateApiKey("dhr");
    expect(await run(other)).toBe("existing");
    expect(log.text()).toMatch(/DATAHUB_ROOT_KEY ignored/);
    expect(log.text()).not.toContain(other);
  });
});
