import type { Config } from "@datahub/runtime";

/** One service's migrations: where they are, which schema, and the direct (session) URL of its database. */
export interface ServiceMigrations {
  service: "auth" | "audit" | "webhooks";
  schema: string;
  dir: string;
  databaseUrl: string;
}

/** Every service with a database, in the order `datahub migrate` applies them. */
export async function serviceMigrations(config: Config): Promise<ServiceMigrations[]> {
  // Loaded on demand: the service packages pull in their whole dependency trees.
  const [{ AUTH_MIGRATIONS_DIR }, { AUDIT_MIGRATIONS_DIR }, { WEBHOOKS_MIGRATIONS_DIR }] = await Promise.all([
    import("@datahub/auth"),
    import("@datahub/audit"),
    import("@datahub/webhooks"),
  ]);
  return [
    { service: "auth", schema: "auth", dir: AUTH_MIGRATIONS_DIR, databaseUrl: config.databaseDirectUrls.auth },
    { service: "audit", schema: "audit", dir: AUDIT_MIGRATIONS_DIR, databaseUrl: config.databaseDirectUrls.audit },
    { service: "webhooks", schema: "webhooks", dir: WEBHOOKS_MIGRATIONS_DIR, databaseUrl: config.databaseDirectUrls.webhooks },
  ];
}
