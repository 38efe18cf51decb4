import type { Command } from "commander";
import type { Org } from "@datahub/client";
import { apiCommand, connect, type ApiOptions } from "../api";
import { printFields, printJson, printTable, type Column } from "../output";

const ORG_COLUMNS: Column<Org>[] = [
  ["ID", (o) => o.id],
  ["NAME", (o) => o.name],
  ["CREATED", (o) => o.createdAt],
];

/** `datahub orgs create|list` over `/v1/orgs` (root key only). */
export function registerOrgs(program: Command): void {
  const orgs = program.command("orgs").description("organisations (root key only)");
  apiCommand(orgs.command("create").description("create an organisation").argument("<name>", "its name"))
    .action(async (name: string, opts: ApiOptions) => {
      const org = await connect(opts).orgs.create({ name });
      if (opts.json) printJson(org);
      else printFields(org);
    });
  apiCommand(orgs.command("list").description("list every organisation"))
    .action(async (opts: ApiOptions) => {
      const page = await connect(opts).orgs.list();
      if (opts.json) printJson(page);
      else printTable(page.data, ORG_COLUMNS);
    });
}
