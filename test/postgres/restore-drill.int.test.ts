/**
 * The backup and restore drill (scripts/drill-restore.ts) against private clusters it starts
 * itself: continuous WAL archiving with a short archive_timeout, a base backup, the primary
 * SIGKILLed and deleted mid-write, a point-in-time restore into a new cluster, DataHub on it.
 * The objectives of docs/operations.md ("Backup and restore"): RPO < 1 minute, RTO < 5 minutes.
 */
import { describe, expect, it } from "@jest/globals";
import { formatReport, runRestoreDrill } from "../../scripts/drill-restore";
import { TEST_REDIS_URL } from "@datahub/runtime/testing";

describe("restore drill", () => {
  it("restores keys and request logs within RPO < 60 s and RTO < 300 s", async () => {
    const report = await runRestoreDrill({ archiveTimeoutS: 5, writeSeconds: 7, redisUrl: TEST_REDIS_URL });
    console.log(formatReport(report));
    // The key made before the disaster verifies on the restored cluster, and its logs are there.
    expect(report.keyVerifiedStatus).toBe(200);
    expect(report.logsRecovered).toBe(report.logsBefore);
    expect(report.acknowledgedWrites).toBeGreaterThan(10);
    // What is lost is at most the WAL not yet archived: about archive_timeout.
    expect(report.rpoMs).toBeLessThan(60_000);
    expect(report.rpoMs).toBeLessThan((report.archiveTimeoutS + 5) * 1000);
    expect(report.rtoMs).toBeLessThan(300_000);
  }, 110_000);
});
