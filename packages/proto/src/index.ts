/**
 * Generated protobuf-es v2 code for every DataHub gRPC contract.
 * The files under `gen/` come from `npm run generate` (buf) and are committed;
 * `npm run check:generated` fails when they are stale.
 */
export * as auth from "./gen/datahub/auth/v1/auth_pb";
export * as ratelimit from "./gen/datahub/ratelimit/v1/ratelimit_pb";
export * as audit from "./gen/datahub/audit/v1/audit_pb";
export * as webhooks from "./gen/datahub/webhooks/v1/webhooks_pb";
