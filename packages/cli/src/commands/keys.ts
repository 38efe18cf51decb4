import type { Command } from "commander";
import type { Key, KeyWithSecret, RateLimitInput, UpdateKeyRequest } from "@datahub/client";
import { apiCommand, connect, positiveInt, type ApiOptions } from "../api";
import { orgOfKey } from "../key-org";
import { printList, type ListOptions } from "../list-output";
import { note, printFields, printJson, printLine, type Column } from "../output";
import { jsonObject, list, nonNegativeInt, rateLimit, timeOrNone } from "../parse";
import { UsageError } from "../usage";

type OrgOption = ApiOptions & { org?: string };

const KEY_COLUMNS: Column<Key>[] = [
  ["ID", (k) => k.id],
  ["PREFIX", (k) => k.prefix],
  ["NAME", (k) => k.name],
  ["SCOPES", (k) => k.scopes],
  ["RATE LIMIT", (k) => (k.rateLimit ? `${k.rateLimit.limit}/${k.rateLimit.windowSeconds}s` : null)],
  ["EXPIRES", (k) => k.expiresAt],
  ["LAST USED", (k) => k.lastUsedAt],
  ["STATE", (k) => (k.revoked ? "revoked" : "active")],
];

/**
 * A key: the API's JSON with `--json`, else `field: value` lines with a new key's secret last. A
 * new secret comes with a reminder on stderr either way (stdout stays the result alone).
 */
function printKey(k: Key | KeyWithSecret, json: boolean | undefined): void {
  const { key: secret, ...rest } = k as KeyWithSecret;
  if (json) printJson(k);
  else {
    printFields({ ...rest, rateLimit: k.rateLimit ? `${k.rateLimit.limit}/${k.rateLimit.windowSeconds}s${k.rateLimit.algorithm ? ` (${k.rateLimit.algorithm})` : ""}` : null });
    if (secret) printLine(`key:        ${secret}`);
  }
  if (secret) note("This is the only time the key is shown. Store it now.");
}

const orgOption = (cmd: Command) => cmd.option("--org <orgId>", "the key's org (root key only; default: found by id)");

/** `datahub keys …`: API keys over `/v1/keys`, plus `generate-root` (local, no edge needed). */
export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("API keys of an org");

  apiCommand(
    keys
      .command("create")
      .description("create an API key; the key is printed once")
      .requiredOption("--name <name>", "a name for people")
      .option("--scopes <list>", "comma-separated scopes, e.g. orders:read,orders:write (default: none)", list)
      .option("--org <orgId>", "the org to create it in (root key only; default: the caller's org)")
      .option("--expires-at <time>", "ISO-8601 expiry, e.g. 2030-01-01T00:00:00Z", timeOrNone)
      .option("--rate-limit <limit/window[/algorithm]>", "the key's own rate limit, e.g. 100/60", rateLimit)
      .option("--metadata <json>", "a JSON object, @file or - for stdin", jsonObject),
  ).action(
    async (opts: OrgOption & { name: string; scopes?: string[]; expiresAt?: string | null; rateLimit?: RateLimitInput | null; metadata?: Record<string, unknown> }) => {
      const created = await connect(opts).keys.create({
        name: opts.name,
        scopes: opts.scopes ?? [],
        ...(opts.org !== undefined && { orgId: opts.org }),
        ...(opts.expiresAt !== undefined && { expiresAt: opts.expiresAt }),
        ...(opts.rateLimit !== undefined && { rateLimit: opts.rateLimit }),
        ...(opts.metadata !== undefined && { metadata: opts.metadata }),
      });
      printKey(created, opts.json);
    },
  );

  apiCommand(
    keys
      .command("list")
      .description("list an org's keys (never their secrets)")
      .option("--org <orgId>", "whose keys (root key only; default: the caller's org)")
      .option("--search <text>", "only keys whose name contains the text (any case), or whose id it is")
      .option("--limit <n>", "keys per page (1-100)", positiveInt)
      .option("--cursor <cursor>", "start at this page (nextCursor of the previous one)")
      .option("--all", "every page"),
  ).action(async (opts: OrgOption & ListOptions & { search?: string }) => {
    const pages = connect(opts).keys.list({ orgId: opts.org, limit: opts.limit, cursor: opts.cursor, search: opts.search });
    await printList(pages, opts, KEY_COLUMNS);
  });

  apiCommand(orgOption(keys.command("get").description("show one key").argument("<keyId>"))).action(async (id: string, opts: OrgOption) => {
    const client = connect(opts);
    const key = await client.keys.get(id, await orgOfKey(client, opts, id));
    printKey(key, opts.json);
  });

  apiCommand(
    orgOption(
      keys
        .command("update")
        .description("change a key's name, scopes, metadata, expiry or rate limit (only what is given)")
        .argument("<keyId>")
        .option("--name <name>", "a new name")
        .option("--scopes <list>", "the new comma-separated scopes (replaces them)", list)
        .option("--expires-at <time|none>", "a new ISO-8601 expiry, or none to remove it", timeOrNone)
        .option("--rate-limit <limit/window[/algorithm]|none>", "a new rate limit, or none to remove it", rateLimit)
        .option("--metadata <json>", "new metadata: a JSON object, @file or - for stdin (replaces it)", jsonObject),
    ),
  ).action(async (id: string, opts: OrgOption & UpdateKeyRequest) => {
    const patch: UpdateKeyRequest = {};
    for (const f of ["name", "scopes", "expiresAt", "rateLimit", "metadata"] as const) if (opts[f] !== undefined) Object.assign(patch, { [f]: opts[f] });
    if (!Object.keys(patch).length) throw new UsageError("keys update: nothing to change; give --name, --scopes, --expires-at, --rate-limit or --metadata");
    const client = connect(opts);
    const key = await client.keys.update(id, patch, await orgOfKey(client, opts, id));
    printKey(key, opts.json);
  });

  apiCommand(
    orgOption(
      keys
        .command("rotate")
        .description("replace a key with a new secret (same name, scopes, limits); the new key is printed once")
        .argument("<keyId>")
        .option("--grace-period <seconds>", "how long the old key keeps working (0-604800; default 0)", nonNegativeInt),
    ),
  ).action(async (id: string, opts: OrgOption & { gracePeriod?: number }) => {
    const client = connect(opts);
    const rotated = await client.keys.rotate(id, opts.gracePeriod === undefined ? {} : { gracePeriodSeconds: opts.gracePeriod }, await orgOfKey(client, opts, id));
    printKey(rotated, opts.json);
  });

  apiCommand(orgOption(keys.command("revoke").description("revoke a key; every edge stops accepting it within a second").argument("<keyId>"))).action(
    async (id: string, opts: OrgOption) => {
      const client = connect(opts);
      await client.keys.revoke(id, await orgOfKey(client, opts, id));
      // 204: the API's JSON is empty, so --json prints nothing.
      if (!opts.json) printLine(`revoked ${id}`);
    },
  );

  keys
    .command("generate-root")
    .description("print a new, unused root key value (for DATAHUB_ROOT_KEY); needs no edge or database")
    .action(async () => {
      const { generateApiKey } = await import("@datahub/runtime");
      printLine(generateApiKey("dhr"));
    });
}
