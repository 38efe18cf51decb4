export { webhooksModule, migrateWebhooks, WEBHOOKS_MIGRATIONS_DIR } from "./module";
export type { WebhookMethods } from "./server";
