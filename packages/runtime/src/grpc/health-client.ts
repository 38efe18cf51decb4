/**
 * A client of `grpc.health.v1.Health/Check`, the standard health service every DataHub gRPC
 * port serves per service (server.ts). It tells whether a service is ready to serve from where
 * the caller stands — through the same network path, TLS and load balancing as its real calls —
 * which a process's own `/readyz` cannot say about the services it depends on.
 */
import { credentials as grpcCredentials, makeClientConstructor, type Client, type ServiceError } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import type { RpcCredentials } from "./credentials";

/** What one check found; `unreachable` when no answer came within the deadline. */
export type ServiceHealthStatus = "serving" | "not_serving" | "unknown" | "unreachable";

const HealthClient = makeClientConstructor(healthService, "grpc.health.v1.Health");
type CheckFn = (req: { service: string }, opts: { deadline: number }, cb: (err: ServiceError | null, res?: { status?: string | number }) => void) => void;

/** Checks services over one channel per address. */
export class HealthChecker {
  private readonly clients = new Map<string, Client & { check: CheckFn }>();

  constructor(private readonly creds: RpcCredentials) {}

  /** The status of `serviceName` (its full protobuf name) at `address`. */
  check(address: string, serviceName: string, timeoutMs: number): Promise<ServiceHealthStatus> {
    let client = this.clients.get(address);
    if (client === undefined) {
      // Health is open (caller-auth.ts): no token, only the channel's TLS when configured.
      client = new HealthClient(address, this.creds.channel ?? grpcCredentials.createInsecure()) as unknown as Client & { check: CheckFn };
      this.clients.set(address, client);
    }
    return new Promise((resolve) => {
      client.check({ service: serviceName }, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) return resolve(err.code === 5 /* NOT_FOUND: not served there */ ? "unknown" : "unreachable");
        const s = res?.status;
        resolve(s === "SERVING" || s === 1 ? "serving" : s === "NOT_SERVING" || s === 2 ? "not_serving" : "unknown");
      });
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
