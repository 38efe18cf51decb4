import { sumRouteCounter } from "./audit-check";

const METRICS = `# HELP datahub_http_requests_total HTTP requests answered by the edge, by route name, method and status.
# TYPE datahub_http_requests_total counter
datahub_http_requests_total{route="bench",method="GET",status="200"} 120345
datahub_http_requests_total{route="bench",method="GET",status="429"} 7
datahub_http_requests_total{route="bench",method="POST",status="502"} 3
datahub_http_requests_total{route="/v1/keys",method="POST",status="201"} 1
datahub_http_requests_total{route="benchmark",method="GET",status="200"} 50
datahub_http_requests_total_created{route="bench",method="GET",status="200"} 1764150000
datahub_http_request_duration_seconds_count{route="bench",method="GET"} 120355
`;

describe("sumRouteCounter", () => {
  it("sums every method and status of exactly one route and splits out non-2xx", () => {
    expect(sumRouteCounter(METRICS, "datahub_http_requests_total", "bench")).toEqual({
      total: 120355,
      non2xx: 10,
      byStatus: { "200": 120345, "429": 7, "502": 3 },
    });
  });

  it("is zero for a route the edge never answered", () => {
    expect(sumRouteCounter(METRICS, "datahub_http_requests_total", "missing")).toEqual({ total: 0, non2xx: 0, byStatus: {} });
  });

  it("reads label values containing escaped quotes", () => {
    const text = 'datahub_http_requests_total{route="a\\"b",method="GET",status="200"} 2\n';
    expect(sumRouteCounter(text, "datahub_http_requests_total", 'a\\"b').total).toBe(2);
  });
});
