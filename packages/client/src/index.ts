/**
 * @datahub/client: a typed client of the DataHub management API (`/v1`). Types are generated from
 * docs/api/openapi.yaml by openapi-typescript; requests go through openapi-fetch.
 */
export { createDataHubClient, type DataHubClient, type DataHubClientOptions } from "./client";
export { DataHubError, type FieldError, type Problem } from "./errors";
export { type Page, type PageIterable } from "./pages";
export { isRetryable, withRetries, type RetryOptions } from "./retry";
export type * from "./types";
export type { paths, components, operations } from "./generated/schema";
