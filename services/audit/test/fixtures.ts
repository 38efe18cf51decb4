import type { LogEntry } from "../src/store/types";

/** A valid stored record; override what the test is about. */
export function entry(over: Partial<LogEntry> = {}): LogEntry {
  return {
    requestId: "req-1",
    timestampMs: Date.UTC(2030, 0, 1, 12, 0, 0),
    method: "GET",
    path: "/api/orders/1",
    route: "orders",
    status: 200,
    durationMs: 12,
    gatewayMs: 0.5,
    keyId: "key-a",
    orgId: "org-1",
    clientIp: "10.0.0.1",
    userAgent: "test",
    bytesIn: 10,
    bytesOut: 100,
    traceId: "",
    error: "",
    ...over,
  };
}

/** n records one second apart (oldest first), cycling through keys, statuses, methods and paths. */
export function mixedBatch(n: number, startMs: number, orgId = "org-1"): LogEntry[] {
  const statuses = [200, 201, 404, 429, 500];
  const methods = ["GET", "POST", "DELETE"];
  const paths = ["/api/orders/", "/api/users/", "/api/a_b%/"];
  return Array.from({ length: n }, (_, i) =>
    entry({
      requestId: `req-${i}`,
      timestampMs: startMs + i * 1000,
      orgId,
      keyId: `key-${i % 3}`,
      status: statuses[i % statuses.length]!,
      method: methods[i % methods.length]!,
      path: `${paths[i % paths.length]}${i}`,
      durationMs: (i % 10) * 10 + 1,
    }),
  );
}
