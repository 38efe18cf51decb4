import type { Command } from "commander";
import type { UsageBucket } from "@datahub/client";
import { apiCommand, connect, type ApiOptions } from "../api";
import { printJson, printTable } from "../output";
import { oneOf } from "../parse";

/** `datahub usage` over `GET /v1/usage`. */
export function registerUsage(program: Command): void {
  apiCommand(
    program
      .command("usage")
      .description("requests, errors, 429s and latency per minute, hour or day (default: the last 24 hours by hour)")
      .option("--from <time>", "inclusive start: ISO-8601 time or date, or Unix ms")
      .option("--to <time>", "exclusive end")
      .option("--granularity <unit>", "minute, hour or day", oneOf(["minute", "hour", "day"] as const))
      .option("--key-id <keyId>", "only requests made with this key")
      .option("--org <orgId>", "whose usage (root key only; default: the caller's org)"),
  ).action(async (opts: ApiOptions & { from?: string; to?: string; granularity?: "minute" | "hour" | "day"; keyId?: string; org?: string }) => {
    const usage = await connect(opts).usage.get({ from: opts.from, to: opts.to, granularity: opts.granularity, keyId: opts.keyId, orgId: opts.org });
    if (opts.json) return printJson(usage);
    printTable<UsageBucket>(usage.data, [
      ["BUCKET", (b) => b.bucket],
      ["REQUESTS", (b) => b.requests],
      ["ERRORS", (b) => b.errors],
      ["429", (b) => b.rateLimited],
      ["P50 MS", (b) => b.p50Ms],
      ["P95 MS", (b) => b.p95Ms],
    ]);
  });
}
