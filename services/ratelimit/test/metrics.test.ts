import { Registry, seriesCounter } from "@datahub/runtime";
import { rateLimitMetrics } from "../src/index";

describe("rateLimitMetrics", () => {
  it("reuses the decisions counter when the edge registered it first (all-mode shares one registry)", async () => {
    const registry = new Registry();
    const edge = seriesCounter(registry, { name: "datahub_ratelimit_decisions_total", help: "edge", labelNames: ["decision"] });
    edge.labels("failed_open").inc();
    const m = rateLimitMetrics(registry);
    expect(m.decisions).toBe(edge);
    m.decisions.labels("allowed").inc();
    expect(rateLimitMetrics(registry).redisErrors).toBe(m.redisErrors);
    const text = await registry.metrics();
    expect(text).toContain('datahub_ratelimit_decisions_total{decision="failed_open"} 1');
    expect(text).toContain('datahub_ratelimit_decisions_total{decision="allowed"} 1');
    expect(text).toContain("datahub_ratelimit_redis_errors_total 0");
  });
});
