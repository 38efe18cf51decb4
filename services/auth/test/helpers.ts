import { captureLogger } from "@datahub/runtime/testing";
import { KeyManager } from "../src/key-manager";
import { NoopInvalidationPublisher } from "../src/invalidation";
import { MemoryKeyStore } from "../src/store/memory-key-store";

/** A KeyManager over a MemoryKeyStore with a clock the test moves. */
export function memoryKeys() {
  const clock = { now: Date.parse("2030-01-01T00:00:00Z") };
  const store = new MemoryKeyStore();
  const publisher = new NoopInvalidationPublisher();
  const log = captureLogger();
  const keys = new KeyManager({ store, publisher, logger: log.logger, now: () => clock.now });
  return { keys, store, publisher, clock, log, advance: (ms: number) => (clock.now += ms) };
}
