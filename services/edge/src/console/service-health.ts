/**
 * The console overview's health panel: this edge's own readiness and, for each service it calls,
 * the standard gRPC health check made from this edge — so in a split deployment a service that
 * is down shows as down even while the edge itself is ready.
 */
import { audit, auth, ratelimit, webhooks } from "@datahub/proto";
import type { Config, Health, HealthChecker, ServiceHealthStatus } from "@datahub/runtime";

/** One row of the panel; `checks` are the edge's own readiness checks. */
export interface ServiceHealthRow {
  name: string;
  status: ServiceHealthStatus;
  checks?: Record<string, boolean>;
}

/** The panel: `ready` when every row is serving. */
export interface HealthReport {
  status: "ready" | "degraded";
  services: ServiceHealthRow[];
}

const SERVICES = [
  ["auth", auth.AuthService.typeName],
  ["ratelimit", ratelimit.RateLimitService.typeName],
  ["audit", audit.AuditService.typeName],
  ["webhooks", webhooks.WebhookService.typeName],
] as const;

/**
 * Builds the report; each check gets `timeoutMs`, all run at once. Addresses never leave this
 * function: the console shows names and states, not the cluster's topology.
 */
export async function healthReport(config: Config, edge: Health, checker: HealthChecker, timeoutMs: number): Promise<HealthReport> {
  const [own, ...others] = await Promise.all([
    edge.report(timeoutMs),
    ...SERVICES.map(([name, typeName]) => checker.check(config.addresses[name], typeName, timeoutMs)),
  ]);
  const services: ServiceHealthRow[] = [
    { name: "edge", status: own.ready ? "serving" : "not_serving", checks: own.checks },
    ...SERVICES.map(([name], i) => ({ name, status: others[i]! })),
  ];
  return { status: services.every((s) => s.status === "serving") ? "ready" : "degraded", services };
}
