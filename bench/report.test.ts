import { pipelineTable, replaceSection } from "./report";
import type { LoadResult } from "./load";

const DOC = `# Benchmarks

Intro.

## gRPC transport

<!-- bench:grpc-transport:begin -->
old table
<!-- bench:grpc-transport:end -->

Conclusion written by hand.

## Full pipeline

old pipeline text
`;

describe("replaceSection", () => {
  it("replaces only the generated block and keeps the hand-written conclusion", () => {
    const out = replaceSection(DOC, "gRPC transport", "new table");
    expect(out).toContain("new table");
    expect(out).not.toContain("old table");
    expect(out).toContain("Conclusion written by hand.");
    expect(out).toContain("old pipeline text");
  });

  it("replaces a section without markers whole, leaving the others", () => {
    const out = replaceSection(DOC, "Full pipeline", "new pipeline");
    expect(out).not.toContain("old pipeline text");
    expect(out).toMatch(/## Full pipeline\n\n<!-- bench:full-pipeline:begin -->\nnew pipeline\n<!-- bench:full-pipeline:end -->\n$/);
    expect(out).toContain("old table");
  });

  it("appends a missing section at the end", () => {
    const out = replaceSection(DOC, "DataHub split", "split numbers");
    expect(out.indexOf("## DataHub split")).toBeGreaterThan(out.indexOf("## Full pipeline"));
    expect(out).toContain("split numbers");
  });

  it("is stable when applied twice", () => {
    const once = replaceSection(DOC, "gRPC transport", "t");
    expect(replaceSection(once, "gRPC transport", "t")).toBe(once);
  });
});

describe("pipelineTable", () => {
  const r = (rps: number): LoadResult => ({ tool: "wrk", requests: rps * 10, durationS: 10, requestsPerSec: rps, p50Ms: 1, p99Ms: 2, non2xx: 0, socketErrors: 0 });

  it("shows each row's share of the upstream and of the bare proxy", () => {
    const table = pipelineTable([
      { name: "upstream alone", result: r(20_000) },
      { name: "bare proxy", result: r(8_000) },
      { name: "DataHub full pipeline", result: r(4_000) },
    ]);
    const datahub = table.split("\n").find((l) => l.startsWith("| DataHub full pipeline"))!;
    expect(datahub).toContain("| 20 % | 50 % |");
    expect(table.split("\n").find((l) => l.startsWith("| bare proxy"))).toContain("| 40 % | 100 % |");
  });
});
