import type { DatahubModule } from "@datahub/runtime";

/**
 * The webhooks service as a runner module. Webhook dispatch (endpoints, signed deliveries,
 * retries) is its own issue; until it lands this target starts, reports itself in the logs and
 * owns nothing, so `DATAHUB_TARGET=all` and deployment manifests already have their final shape.
 */
export const webhooksModule: DatahubModule = {
  name: "webhooks",
  requires: ["grpc"],
  async start(ctx) {
    ctx.logger.info("webhooks: dispatch is not available in this version; /v1/webhooks and /v1/events answer 404");
    return {};
  },
};
