/** The DataHub edge: the public HTTP(S) data plane and `/v1` management API. */
export { edgeModule } from "./module";
export { loadRoutesConfig, parseRoutesConfig, RoutesConfigError, type RoutesConfig, type RouteConfig } from "./proxy/routes-config";
export type { RequestContext, Principal } from "./context";
