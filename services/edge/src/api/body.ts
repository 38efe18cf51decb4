/**
 * JSON body parsing for `/v1`: 415 for a body that is not JSON, then express.json with the
 * configured size limit (413) and strict mode (only objects/arrays; malformed → 400).
 */
import express, { type RequestHandler } from "express";
import { ApiError } from "./errors";

const JSON_TYPES = ["application/json", "application/*+json"];

/** True when the request carries a non-empty body (a chunked body counts, `Content-Length: 0` does not). */
function carriesBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const len = Number(headers["content-length"] ?? 0);
  return Number.isNaN(len) || len > 0;
}

/** Middleware chain for body-carrying routes. An absent body leaves `req.body` undefined (read as `{}`). */
export function jsonBody(maxBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (carriesBody(req.headers) && !req.is(JSON_TYPES)) {
      throw new ApiError(415, "unsupported-media-type", "the request body must be JSON (Content-Type: application/json)");
    }
    next();
  };
  return [requireJson, express.json({ limit: maxBytes, strict: true, type: JSON_TYPES })];
}
