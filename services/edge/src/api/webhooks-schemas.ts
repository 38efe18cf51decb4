/**
 * zod schemas of the `/v1/webhooks` and `/v1/events` bodies and queries. The webhooks service
 * validates again (and alone checks the SSRF rules); the edge checks syntax so a typo gets a
 * 400 naming the field without a round trip.
 */
import { z } from "zod";
import { EVENT_PATTERN_RE, EVENT_TYPE_RE, isSystemEventType } from "@datahub/runtime";
import { OBJECT_ERROR, cursorParam, idParam, limitParam } from "./validate";

const MAX_URL = 2048;
const MAX_DESCRIPTION_BYTES = 1024;
const MAX_PATTERNS = 100;

/** An absolute http(s) URL without a fragment. Other schemes (file:, gopher:, ...) are refused here. */
const webhookUrlSchema = z
  .string({ error: "must be a string" })
  .max(MAX_URL, { error: `must be at most ${MAX_URL} characters` })
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.hash === "";
      } catch {
        return false;
      }
    },
    { error: "must be an absolute http:// or https:// URL without a #fragment" },
  );

/** Subscribed patterns: `*`, exact types or `prefix.*`; at least one; duplicates removed. */
const eventPatternsSchema = z
  .array(
    z.string({ error: "must be a string" }).regex(EVENT_PATTERN_RE, { error: 'must be "*", an event type such as "order.created", or a prefix such as "order.*"' }),
    { error: "must be an array of event types or patterns" },
  )
  .min(1, { error: "must hold at least one event type or pattern" })
  .max(MAX_PATTERNS, { error: `must hold at most ${MAX_PATTERNS} entries` })
  .transform((e) => [...new Set(e)]);

/** Free text of at most 1 KiB (UTF-8). */
const descriptionSchema = z
  .string({ error: "must be a string" })
  .refine((d) => Buffer.byteLength(d, "utf8") <= MAX_DESCRIPTION_BYTES, { error: `must be at most ${MAX_DESCRIPTION_BYTES} bytes` });

/** Deliveries per second to one endpoint. */
const rateLimitPerSecondSchema = z
  .int({ error: "must be an integer from 1 to 1000" })
  .min(1, { error: "must be an integer from 1 to 1000" })
  .max(1000, { error: "must be an integer from 1 to 1000" });

/** `POST /v1/webhooks`. */
export const createEndpointBody = z.strictObject(
  {
    url: webhookUrlSchema,
    events: eventPatternsSchema,
    description: descriptionSchema.optional(),
    rateLimitPerSecond: rateLimitPerSecondSchema.optional(),
  },
  OBJECT_ERROR,
);

/** `PATCH /v1/webhooks/{id}`: absent fields stay; `null` clears description / rate limit. */
export const patchEndpointBody = z.strictObject(
  {
    url: webhookUrlSchema.optional(),
    events: eventPatternsSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    rateLimitPerSecond: rateLimitPerSecondSchema.nullable().optional(),
    status: z.enum(["enabled", "disabled"], { error: 'must be "enabled" or "disabled"' }).optional(),
  },
  OBJECT_ERROR,
);

/** `POST /v1/events`. */
export const publishEventBody = z.strictObject(
  {
    type: z
      .string({ error: "must be a string" })
      .regex(EVENT_TYPE_RE, { error: 'must be an event type: dot-separated segments of [a-z0-9_-], e.g. "order.created"' })
      .refine((t) => !isSystemEventType(t), { error: "is a system event type that only DataHub may emit" }),
    data: z.record(z.string(), z.json(), { error: "must be a JSON object" }),
    idempotencyKey: z
      .string({ error: "must be a string" })
      .min(1, { error: "must not be empty" })
      .max(200, { error: "must be at most 200 characters" })
      .regex(/^[\x21-\x7e]+$/, { error: "must be printable ASCII without spaces" })
      .optional(),
  },
  OBJECT_ERROR,
);

/** `GET /v1/webhooks/{id}/deliveries`. */
export const listDeliveriesQuery = z.strictObject({
  status: z.enum(["pending", "succeeded", "failed"], { error: "must be one of pending, succeeded, failed" }).optional(),
  limit: limitParam(50, 100),
  cursor: cursorParam,
  orgId: idParam.optional(),
});

/** The body of action endpoints (rotate-secret, retry): absent or `{}`. */
export const noBody = z.strictObject({}, OBJECT_ERROR);
