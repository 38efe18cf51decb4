import type { Command } from "commander";
import { apiCommand, connect, type ApiOptions } from "../api";
import { printJson, printLine } from "../output";
import { jsonObject } from "../parse";

/** `datahub events publish` over `POST /v1/events`. */
export function registerEvents(program: Command): void {
  const events = program.command("events").description("events for fan-out to webhook endpoints");
  apiCommand(
    events
      .command("publish")
      .description("publish an event to every endpoint of the org subscribed to its type")
      .argument("<type>", "the event type, e.g. order.created")
      .option("--data <json>", "the payload: a JSON object, @file or - for stdin", jsonObject, {})
      .option("--idempotency-key <key>", "publishes with the same key within 24 h are one event")
      .option("--org <orgId>", "the org to publish in (root key only; default: the caller's org)"),
  ).action(async (type: string, opts: ApiOptions & { data: Record<string, unknown>; idempotencyKey?: string; org?: string }) => {
    const body = { type, data: opts.data, ...(opts.idempotencyKey !== undefined && { idempotencyKey: opts.idempotencyKey }) };
    const accepted = await connect(opts).events.publish(body, opts.org === undefined ? {} : { orgId: opts.org });
    if (opts.json) printJson(accepted);
    else printLine(`accepted ${accepted.id}`);
  });
}
