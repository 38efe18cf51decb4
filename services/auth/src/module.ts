import { isRedisReady, type DatahubModule } from "@datahub/runtime";
import { auth } from "@datahub/proto";
import { migrateAuth, openAuthResources } from "./admin";
import { bootstrapRootKey } from "./root-bootstrap";
import { createAuthService } from "./server";

/**
 * The auth service as a runner module: migrates schema `auth`, makes sure a root key exists,
 * serves AuthService on the process's gRPC server, and reports `postgres` and `redis` readiness.
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
    ctx.grpc.addService(auth.AuthService, createAuthService(res.keys, logger));
    ctx.health.addCheck("postgres", async () => {
      await res.pool.query("SELECT 1");
      return true;
    });
    ctx.health.addCheck("redis", () => isRedisReady(res.redis));
    return { stop: res.close };
  },
};
