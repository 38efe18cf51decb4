/**
 * What the management API needs from the edge process: typed clients of the auth, audit and
 * webhooks services, the process config (body limits) and the logger.
 */
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import type { Config, Logger, RpcClient } from "@datahub/runtime";
import type { auth, audit, webhooks } from "@datahub/proto";
import type { RouteTable } from "../proxy/route-table";

type MethodsOf<S> = S extends GenService<infer T> ? T : never;

/** Method table of `datahub.auth.v1.AuthService`. */
export type AuthMethods = MethodsOf<typeof auth.AuthService>;
/** Method table of `datahub.audit.v1.AuditService`. */
export type AuditMethods = MethodsOf<typeof audit.AuditService>;
/** Method table of `datahub.webhooks.v1.WebhookService`. */
export type WebhookMethods = MethodsOf<typeof webhooks.WebhookService>;

/** Dependencies of {@link createManagementApi}. */
export interface ManagementApiDeps {
  auth: RpcClient<AuthMethods>;
  audit: RpcClient<AuditMethods>;
  webhooks: RpcClient<WebhookMethods>;
  config: Config;
  logger: Logger;
  /** The route table in force (it changes on reload); read-only. */
  routes: { readonly current: RouteTable };
}
