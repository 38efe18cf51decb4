/**
 * HealthChecker against real listeners: a port with nothing behind it is `unreachable` within the
 * deadline, never a hang.
 */
import { freePort } from "../src/testing";
import { HealthChecker } from "../src/grpc/health-client";

it("answers unreachable for a closed port within the deadline", async () => {
  const checker = new HealthChecker({ bearer: "unused" });
  try {
    const port = await freePort();
    const t0 = Date.now();
    expect(await checker.check(`127.0.0.1:${port}`, "datahub.auth.v1.AuthService", 300)).toBe("unreachable");
    expect(Date.now() - t0).toBeLessThan(2000);
  } finally {
    checker.close();
  }
});
