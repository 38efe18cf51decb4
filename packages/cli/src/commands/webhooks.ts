import type { Command } from "commander";
import type { UpdateWebhookEndpointRequest, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEndpointWithSecret } from "@datahub/client";
import { apiCommand, connect, positiveInt, type ApiOptions } from "../api";
import { printList, type ListOptions } from "../list-output";
import { note, printFields, printJson, printLine, printTable, type Column } from "../output";
import { list, oneOf } from "../parse";
import { UsageError } from "../usage";

type OrgOption = ApiOptions & { org?: string };

const ENDPOINT_COLUMNS: Column<WebhookEndpoint>[] = [
  ["ID", (w) => w.id],
  ["URL", (w) => w.url],
  ["EVENTS", (w) => w.events],
  ["STATUS", (w) => (w.disabledReason ? `${w.status} (${w.disabledReason})` : w.status)],
  ["DESCRIPTION", (w) => w.description],
];
const DELIVERY_COLUMNS: Column<WebhookDelivery>[] = [
  ["ID", (d) => d.id],
  ["EVENT", (d) => d.eventType],
  ["STATUS", (d) => d.status],
  ["ATTEMPTS", (d) => d.attempts],
  ["LAST STATUS", (d) => d.lastStatusCode],
  ["LAST ERROR", (d) => d.lastError],
  ["NEXT ATTEMPT", (d) => d.nextAttemptAt],
  ["CREATED", (d) => d.createdAt],
];
const ATTEMPT_COLUMNS: Column<WebhookAttempt>[] = [
  ["#", (a) => a.number],
  ["STARTED", (a) => a.startedAt],
  ["STATUS", (a) => a.statusCode],
  ["MS", (a) => a.durationMs],
  ["ERROR", (a) => a.error],
];

const SECRET_NOTE = "This is the only time the signing secret is shown. Store it now.";

/**
 * An endpoint: the API's JSON with `--json`, else `field: value` lines with a new secret last. A
 * new secret comes with a reminder on stderr either way.
 */
function printEndpoint(w: WebhookEndpoint | WebhookEndpointWithSecret, json: boolean | undefined): void {
  const { secret, ...rest } = w as WebhookEndpointWithSecret;
  if (json) printJson(w);
  else {
    printFields(rest);
    if (secret) printLine(`secret:             ${secret}`);
  }
  if (secret) note(SECRET_NOTE);
}

/** `--org` on a webhooks command (a root key acting on another org). */
const withOrg = (cmd: Command) => apiCommand(cmd.option("--org <orgId>", "the endpoint's org (root key only; default: the caller's org)"));
const scope = (opts: OrgOption) => (opts.org === undefined ? {} : { orgId: opts.org });

/** `datahub webhooks …` over `/v1/webhooks`. */
export function registerWebhooks(program: Command): void {
  const webhooks = program.command("webhooks").description("webhook endpoints, their deliveries and attempts");

  withOrg(
    webhooks
      .command("create")
      .description("create an endpoint; its signing secret is printed once")
      .argument("<endpointUrl>", "where deliveries are POSTed (http(s), not a private address)")
      .requiredOption("--events <patterns>", "comma-separated event patterns, e.g. order.*,invoice.paid or *", list)
      .option("--description <text>", "a note for people")
      .option("--rate-limit-per-second <n>", "deliveries per second to it (1-1000; default: the service's)", positiveInt),
  ).action(async (url: string, opts: OrgOption & { events: string[]; description?: string; rateLimitPerSecond?: number }) => {
    const body = { url, events: opts.events, ...(opts.description !== undefined && { description: opts.description }), ...(opts.rateLimitPerSecond !== undefined && { rateLimitPerSecond: opts.rateLimitPerSecond }) };
    const created = await connect(opts).webhooks.create(body, scope(opts));
    printEndpoint(created, opts.json);
  });

  withOrg(
    webhooks
      .command("list")
      .description("list endpoints (never their secrets)")
      .option("--limit <n>", "endpoints per page (1-100)", positiveInt)
      .option("--cursor <cursor>", "start at this page")
      .option("--all", "every page"),
  ).action(async (opts: OrgOption & ListOptions) => {
    await printList(connect(opts).webhooks.list({ orgId: opts.org, limit: opts.limit, cursor: opts.cursor }), opts, ENDPOINT_COLUMNS);
  });

  withOrg(webhooks.command("get").description("show one endpoint").argument("<endpointId>")).action(async (id: string, opts: OrgOption) => {
    const w = await connect(opts).webhooks.get(id, scope(opts));
    printEndpoint(w, opts.json);
  });

  withOrg(
    webhooks
      .command("update")
      .description("change an endpoint (only what is given)")
      .argument("<endpointId>")
      .option("--endpoint-url <url>", "a new URL to deliver to (--url is the edge's)")
      .option("--events <patterns>", "new comma-separated event patterns (replaces them)", list)
      .option("--description <text|none>", "a new description, or none to clear it")
      .option("--rate-limit-per-second <n|default>", "a new delivery rate, or default for the service's", (v: string) => (v === "default" ? null : positiveInt(v)))
      .option("--enable", "enable it (deliveries resume)")
      .option("--disable", "disable it (deliveries stop)"),
  ).action(
    async (id: string, opts: OrgOption & { endpointUrl?: string; events?: string[]; description?: string; rateLimitPerSecond?: number | null; enable?: boolean; disable?: boolean }) => {
      if (opts.enable && opts.disable) throw new UsageError("webhooks update: --enable and --disable exclude each other");
      const patch: UpdateWebhookEndpointRequest = {};
      if (opts.endpointUrl !== undefined) patch.url = opts.endpointUrl;
      if (opts.events !== undefined) patch.events = opts.events;
      if (opts.description !== undefined) patch.description = opts.description === "none" ? null : opts.description;
      if (opts.rateLimitPerSecond !== undefined) patch.rateLimitPerSecond = opts.rateLimitPerSecond;
      if (opts.enable || opts.disable) patch.status = opts.enable ? "enabled" : "disabled";
      if (!Object.keys(patch).length) throw new UsageError("webhooks update: nothing to change; give --endpoint-url, --events, --description, --rate-limit-per-second, --enable or --disable");
      const w = await connect(opts).webhooks.update(id, patch, scope(opts));
      printEndpoint(w, opts.json);
    },
  );

  withOrg(webhooks.command("delete").description("delete an endpoint and stop its deliveries").argument("<endpointId>")).action(async (id: string, opts: OrgOption) => {
    await connect(opts).webhooks.delete(id, scope(opts));
    if (!opts.json) printLine(`deleted ${id}`);
  });

  withOrg(
    webhooks.command("rotate-secret").description("make a new signing secret (printed once); the old one keeps signing for 24 h").argument("<endpointId>"),
  ).action(async (id: string, opts: OrgOption) => {
    const rotated = await connect(opts).webhooks.rotateSecret(id, scope(opts));
    if (opts.json) printJson(rotated);
    else printFields(rotated);
    note(SECRET_NOTE);
  });

  withOrg(
    webhooks
      .command("deliveries")
      .description("list an endpoint's deliveries, newest first")
      .argument("<endpointId>")
      .option("--status <status>", "only pending, succeeded or failed ones", oneOf(["pending", "succeeded", "failed"] as const))
      .option("--limit <n>", "deliveries per page (1-100)", positiveInt)
      .option("--cursor <cursor>", "start at this page")
      .option("--all", "every page"),
  ).action(async (id: string, opts: OrgOption & ListOptions & { status?: "pending" | "succeeded" | "failed" }) => {
    const pages = connect(opts).webhooks.deliveries(id, { orgId: opts.org, status: opts.status, limit: opts.limit, cursor: opts.cursor });
    await printList(pages, opts, DELIVERY_COLUMNS);
  });

  withOrg(webhooks.command("attempts").description("list a delivery's attempts, oldest first").argument("<endpointId>").argument("<deliveryId>")).action(
    async (id: string, deliveryId: string, opts: OrgOption) => {
      const attempts = await connect(opts).webhooks.attempts(id, deliveryId, scope(opts));
      if (opts.json) printJson(attempts);
      else printTable(attempts.data, ATTEMPT_COLUMNS);
    },
  );

  withOrg(webhooks.command("retry").description("schedule a new attempt of a failed or pending delivery now").argument("<endpointId>").argument("<deliveryId>")).action(
    async (id: string, deliveryId: string, opts: OrgOption) => {
      await connect(opts).webhooks.retry(id, deliveryId, scope(opts));
      if (!opts.json) printLine(`retry of ${deliveryId} scheduled`);
    },
  );
}
