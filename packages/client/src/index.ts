/**
 * @datahub/client: a typed client of the DataHub management API (`/v1`). Types are generated from
 * docs/api/openapi.yaml by openapi-typescript; requests go through openapi-fetch.
 */
export { createDataHubClient, type DataHubClient, type DataHubClientOptions } from "./client.ts";
export { DataHubError, type FieldError, type Problem } from "./errors.ts";
export { type Page, type PageIterable } from "./pages.ts";
export { isRetryable, withRetries, type RetryOptions } from "./retry.ts";
export type * from "./types.ts";
export type { paths, components, operations } from "./generated/schema.ts";
