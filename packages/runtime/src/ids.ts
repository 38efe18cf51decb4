import { v7 } from "uuid";

/** A new UUIDv7: time-ordered, so ids double as creation order and index well in Postgres. */
export function newId(): string {
  return v7();
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** The client's request id when it is 1-128 chars of `[A-Za-z0-9._-]`, otherwise a new UUIDv7 (docs/reference/http-api.md, "Request ids"). */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && REQUEST_ID_RE.test(header) ? header : v7();
}
