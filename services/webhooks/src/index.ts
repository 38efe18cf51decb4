export { webhooksModule, migrateWebhooks } from "./module";
export type { WebhookMethods } from "./server";
