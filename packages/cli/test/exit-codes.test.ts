/** How errors map to exit codes and one-line messages (the real binary is in cli.int.test.ts). */
import { DataHubError } from "@datahub/client";
import { ConfigError } from "@datahub/runtime/config";
import { exitCodeFor, messageFor } from "../src/exit-codes";
import { UsageError } from "../src/usage";

const apiError = (status: number, slug = "x") =>
  new DataHubError({ status, type: `https://datahub.dev/problems/${slug}`, title: "T", detail: "what went wrong", requestId: "r1" });

test("API statuses: 4xx is bad input, unreachable/502/503/504/429 unavailable, the rest failure", () => {
  expect([400, 401, 403, 404, 409, 413, 415].map((s) => exitCodeFor(apiError(s)))).toEqual([65, 65, 65, 65, 65, 65, 65]);
  expect([0, 429, 502, 503, 504].map((s) => exitCodeFor(apiError(s)))).toEqual([69, 69, 69, 69, 69]);
  expect([500, 501].map((s) => exitCodeFor(apiError(s)))).toEqual([1, 1]);
});

test("usage 64, configuration 78, anything else 1", () => {
  expect(exitCodeFor(new UsageError("x"))).toBe(64);
  expect(exitCodeFor(new ConfigError("x"))).toBe(78);
  expect(exitCodeFor(new Error("x"))).toBe(1);
  expect(exitCodeFor("thrown string")).toBe(1);
});

test("messages are one line: status, slug, detail and request id; never a stack", () => {
  expect(messageFor(apiError(404, "not-found"))).toBe("404 not-found: what went wrong (request r1)");
  expect(messageFor(new Error("a\n  b"))).toBe("error: a b");
  expect(messageFor(new ConfigError("DATAHUB_URL is not set"))).toBe("DATAHUB_URL is not set");
});
