/**
 * @datahub/client in a few lines: run against a local edge with
 *
 *   DATAHUB_URL=http://127.0.0.1:8080 DATAHUB_API_KEY=dh_… node --import tsx examples/sdk-quickstart.ts
 *
 * With a root key (`dhr_…`) it creates an org first and works in it; with an org's key it works
 * in that key's org. It creates a key, lists the org's keys page by page, reads the key's recent
 * requests and revokes the key again.
 */
import { createDataHubClient, DataHubError } from "@datahub/client";

const url = process.env.DATAHUB_URL ?? "http://127.0.0.1:8080";
const key = process.env.DATAHUB_API_KEY;
if (!key) {
  console.error("set DATAHUB_API_KEY (and DATAHUB_URL if the edge is not on 127.0.0.1:8080)");
  process.exit(78);
}

const client = createDataHubClient({ url, key });

try {
  const orgId = key.startsWith("dhr_") ? (await client.orgs.create({ name: `quickstart-${Date.now()}` })).id : undefined;
  const created = await client.keys.create({ orgId, name: "quickstart", scopes: ["orders:read"], rateLimit: { limit: 100, windowSeconds: 60 } });
  console.log(`created key ${created.id} (${created.prefix}…): ${created.key}`);

  // Every key of the org, fetched 10 per request as the loop goes.
  for await (const k of client.keys.list({ orgId, limit: 10 })) console.log(`  ${k.id}  ${k.name}  ${k.revoked ? "revoked" : "active"}`);

  const { data: recent } = await client.logs.query({ orgId, limit: 5 }).first();
  for (const r of recent) console.log(`  ${r.timestamp} ${r.method} ${r.path} → ${r.status}`);

  await client.keys.revoke(created.id, { orgId });
  console.log(`revoked ${created.id}`);
} catch (err) {
  // Every failure is a DataHubError: the API's problem+json, or status 0 when the edge is unreachable.
  if (!(err instanceof DataHubError)) throw err;
  console.error(`${err.status || "no answer"} ${err.slug}: ${err.detail}${err.requestId ? ` (request ${err.requestId})` : ""}`);
  for (const e of err.errors) console.error(`  ${e.path}: ${e.message}`);
  process.exit(1);
}
