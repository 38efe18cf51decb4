/**
 * JSON body parsing for `/v1`: 415 for a body that is not JSON, then express.json with the
 * configured size limit (413), a nesting-depth limit checked on the raw bytes before parsing (400
 * `json-too-deep`; docs/security.md) and strict mode (only objects/arrays;
 * malformed → 400).
 */
import type { IncomingMessage } from "node:http";
import express, { type RequestHandler } from "express";
import { jsonTextTooDeep, MAX_JSON_DEPTH } from "@datahub/runtime";
import { ApiError } from "./errors";

const JSON_TYPES = ["application/json", "application/*+json"];

/** True when the request carries a non-empty body (a chunked body counts, `Content-Length: 0` does not). */
function carriesBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const len = Number(headers["content-length"] ?? 0);
  return Number.isNaN(len) || len > 0;
}

/** An error body-parser passes on with its `type`, which errors.ts maps to a problem. */
const bodyError = (type: string) => Object.assign(new Error(type), { type });

/** The body as UTF-8 bytes: JSON is UTF-8 (RFC 8259 §8.1), other `utf-*` charsets are re-encoded. */
function utf8Bytes(raw: Buffer, charset: string): Uint8Array {
  if (charset === "utf-8" || charset === "utf8") return raw;
  try {
    return Buffer.from(new TextDecoder(charset).decode(raw), "utf8");
  } catch {
    throw bodyError("charset.unsupported");
  }
}

/**
 * body-parser's `verify` hook: it sees the raw (inflated) bytes before `JSON.parse`, so a body
 * nested deeper than {@link MAX_JSON_DEPTH} is refused before parsing (JSON.parse copes with any
 * depth, but spends 0.15–0.35 s on 1 MiB of brackets: bench/json-depth.ts) and before anything
 * that recurses (zod, protobuf, the services).
 */
function verifyDepth(_req: IncomingMessage, _res: unknown, raw: Buffer, charset: string): void {
  if (jsonTextTooDeep(utf8Bytes(raw, charset), MAX_JSON_DEPTH)) throw bodyError("entity.too.deep");
}

/** Middleware chain for body-carrying routes. An absent body leaves `req.body` undefined (read as `{}`). */
export function jsonBody(maxBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (carriesBody(req.headers) && !req.is(JSON_TYPES)) {
      throw new ApiError(415, "unsupported-media-type", "the request body must be JSON (Content-Type: application/json)");
    }
    next();
  };
  return [requireJson, express.json({ limit: maxBytes, strict: true, type: JSON_TYPES, verify: verifyDepth })];
}
