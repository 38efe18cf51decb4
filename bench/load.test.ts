import { parseAutocannonJson, parseWrkDuration, parseWrkOutput } from "./load";

// Captured from wrk 4.1.0 (Debian) against bench/bare-proxy.ts on this machine.
const WRK_OK = `
Running 3s test @ http://127.0.0.1:38002/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.93ms   41.11ms 460.14ms   95.88%
    Req/Sec     5.58k     2.47k    9.06k    60.00%
  Latency Distribution
     50%    9.85ms
     75%   12.34ms
     90%   24.51ms
     99%  262.12ms
  16700 requests in 3.01s, 3.34MB read
Requests/sec:   5548.48
Transfer/sec:      1.11MB
`;

// Captured from wrk 4.1.0 against a server that answers 429 to every third request and resets
// every 50th connection.
const WRK_ERRORS = `
Running 2s test @ http://127.0.0.1:38003/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.40ms   14.23ms 136.10ms   92.84%
    Req/Sec    14.10k     3.91k   19.66k    80.00%
  Latency Distribution
     50%    3.36ms
     75%    4.20ms
     90%   13.16ms
     99%   85.75ms
  28048 requests in 2.00s, 3.93MB read
  Socket errors: connect 0, read 572, write 0, timeout 0
  Non-2xx or 3xx responses: 9350
Requests/sec:  13998.56
Transfer/sec:      1.96MB
`;

// Captured from `autocannon --json -c 64 -d 2` against the same server (statusCodeStats trimmed).
const AUTOCANNON = JSON.stringify({
  duration: 2.04,
  errors: 0,
  timeouts: 0,
  non2xx: 10247,
  "2xx": 20494,
  latency: { average: 19.68, p50: 17, p99: 67 },
  requests: { average: 15374, total: 30741, sent: 31432 },
});

describe("parseWrkOutput", () => {
  it("reads totals, rate and latency percentiles of a clean run", () => {
    expect(parseWrkOutput(WRK_OK)).toEqual({
      tool: "wrk",
      requests: 16700,
      durationS: 3.01,
      requestsPerSec: 5548.48,
      p50Ms: 9.85,
      p99Ms: 262.12,
      non2xx: 0,
      socketErrors: 0,
    });
  });

  it("counts non-2xx responses and sums every kind of socket error", () => {
    const r = parseWrkOutput(WRK_ERRORS);
    expect(r.requests).toBe(28048);
    expect(r.non2xx).toBe(9350);
    expect(r.socketErrors).toBe(572);
    expect(r.p50Ms).toBeCloseTo(3.36);
    expect(r.p99Ms).toBeCloseTo(85.75);
  });

  it("fails loudly when wrk ran without --latency", () => {
    const noLatency = WRK_OK.split("\n").filter((l) => !/^\s+\d+%/.test(l)).join("\n");
    expect(() => parseWrkOutput(noLatency)).toThrow(/--latency/);
  });

  it("fails loudly on output that is not wrk's", () => {
    expect(() => parseWrkOutput("unable to connect to 127.0.0.1:9 Connection refused")).toThrow(/requests in/);
  });
});

describe("parseWrkDuration", () => {
  it.each([
    ["850.12us", 0.85012],
    ["9.85ms", 9.85],
    ["1.20s", 1200],
    ["2.00m", 120_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseWrkDuration(text)).toBeCloseTo(ms, 6);
  });

  it("rejects an unknown unit", () => {
    expect(() => parseWrkDuration("3.0x")).toThrow(/unparsable/);
  });
});

describe("parseAutocannonJson", () => {
  it("derives the rate from total responses over the run's duration", () => {
    const r = parseAutocannonJson(AUTOCANNON);
    expect(r).toMatchObject({ tool: "autocannon", requests: 30741, non2xx: 10247, socketErrors: 0, p50Ms: 17, p99Ms: 67 });
    expect(r.requestsPerSec).toBeCloseTo(30741 / 2.04);
  });
});
