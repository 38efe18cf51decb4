import { type DatahubModule, isRedisReady, systemEventsCounter } from "@datahub/runtime";
import { auth, webhooks } from "@datahub/proto";
import { migrateAuth, openAuthResources } from "./admin";
import { EventRelay } from "./events/relay";
import { bootstrapRootKey } from "./root-bootstrap";
import { createAuthService } from "./server";

/**
 * The auth service as a runner module: migrates schema `auth`, makes sure a root key exists,
 * serves AuthService on the process's gRPC server, relays key events from its outbox to the
 * webhooks service, and reports `postgres` and `redis` readiness (not the webhooks service's:
 * key management does not depend on it).
 */
export const authModule: DatahubModule = {
  name: "auth",
  requires: ["grpc"],
  async start(ctx) {
    const logger = ctx.logger.child({ module: "auth" });
    await migrateAuth(ctx.config, logger);
    const res = openAuthResources(ctx.config, logger, ctx.registry, "datahub-auth");
    try {
      const { publisher } = res;
      await bootstrapRootKey({ store: res.store, publisher, logger, rootKey: ctx.config.rootKey });
    } catch (err) {
      await res.close();
      throw err;
    }
    ctx.grpc.addService(auth.AuthService, createAuthService(res.keys, res.sessions, logger));
    const webhooksClient = ctx.client(webhooks.WebhookService, ctx.config.addresses.webhooks);
    const events = systemEventsCounter(ctx.registry);
    const relay = new EventRelay({
      outbox: res.outbox,
      publish: (req) => webhooksClient.publish(req),
      logger,
      intervalMs: ctx.config.authEvents.intervalMs,
      maxBackoffMs: ctx.config.authEvents.maxBackoffMs,
      onOutcome: (outcome) => events.inc({ source: "auth", outcome }),
    });
    res.hooks.onEvent = () => relay.kick();
    relay.start();
    ctx.health.addCheck("postgres", async () => {
      await res.pool.query("SELECT 1");
      return true;
    });
    ctx.health.addCheck("redis", () => isRedisReady(res.redis));
    return {
      async stop() {
        await relay.stop();
        await res.close();
      },
    };
  },
};
