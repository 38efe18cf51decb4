/**
 * A WebhookService over real gRPC on 127.0.0.1 that records Publish calls (deduping on the
 * idempotency key like the real service) and answers UNIMPLEMENTED to everything else. It can be
 * stopped and started again on the same port, to test the relay against an outage.
 */
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { webhooks } from "@datahub/proto";
import { GrpcHost, GrpcStatus, Registry, RpcError, newId, type ServiceImpl } from "@datahub/runtime";
import { captureLogger, TEST_INTERNAL_TOKEN } from "@datahub/runtime/testing";

type MethodsOf<S> = S extends GenService<infer T> ? T : never;
type Methods = MethodsOf<typeof webhooks.WebhookService>;

/** One received publish. */
export interface Received {
  orgId: string;
  type: string;
  data: JsonValue;
  idempotencyKey: string;
  eventId: string;
}

/** The fake's server and what it received. */
export interface FakeWebhooksServer {
  address: string;
  /** Unique publishes (first of each idempotency key). */
  events: Received[];
  /** Every Publish call, duplicates included. */
  publishCalls: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const unimplemented = async (): Promise<never> => {
  throw new RpcError(GrpcStatus.UNIMPLEMENTED, "not in this fake");
};

/** Starts the fake on `port` (0: any), or only reserves the port when `serve` is false. */
export async function startFakeWebhooks(opts: { serve?: boolean } = {}): Promise<FakeWebhooksServer> {
  const logger = captureLogger("warn").logger;
  let host: GrpcHost | undefined;
  let port = 0;
  const out: FakeWebhooksServer = {
    address: "",
    events: [],
    publishCalls: 0,
    async start() {
      if (host) return;
      host = new GrpcHost(logger, new Registry(), { callers: { tokens: [TEST_INTERNAL_TOKEN] } });
      const impl: ServiceImpl<Methods> = {
        createEndpoint: unimplemented,
        getEndpoint: unimplemented,
        listEndpoints: unimplemented,
        updateEndpoint: unimplemented,
        deleteEndpoint: unimplemented,
        rotateSecret: unimplemented,
        listDeliveries: unimplemented,
        listAttempts: unimplemented,
        retryDelivery: unimplemented,
        publish: async (req) => {
          out.publishCalls++;
          const dup = out.events.find((e) => e.orgId === req.orgId && e.idempotencyKey === req.idempotencyKey);
          if (dup) return { eventId: dup.eventId, duplicate: true };
          const e = { orgId: req.orgId, type: req.type, data: req.data ? toJson(ValueSchema, req.data) : null, idempotencyKey: req.idempotencyKey, eventId: newId() };
          out.events.push(e);
          return { eventId: e.eventId, deliveries: 0 };
        },
      };
      host.addService(webhooks.WebhookService, impl);
      port = await host.listen("127.0.0.1", port);
      out.address = `127.0.0.1:${port}`;
    },
    async stop() {
      const h = host;
      host = undefined;
      if (h) await h.shutdown(200);
    },
  };
  await out.start();
  if (opts.serve === false) await out.stop();
  return out;
}
