-- Up Migration

-- A receiver URL of one org. The signing secrets are stored in clear because signing needs them
-- (HMAC); they never leave this schema except in the Create/Rotate answers and the signatures.
CREATE TABLE webhooks.endpoints (
  id                         uuid        PRIMARY KEY,
  org_id                     text        NOT NULL,
  url                        text        NOT NULL,
  events                     text[]      NOT NULL,
  description                text        NOT NULL DEFAULT '',
  status                     text        NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  disabled_reason            text        NOT NULL DEFAULT '',
  rate_limit_per_second      integer     NOT NULL DEFAULT 0,
  secret                     text        NOT NULL,
  previous_secret            text,
  previous_secret_expires_at timestamptz,
  -- Start of the current run of failed attempts; NULL after any success. Drives auto-disable.
  failing_since              timestamptz,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now()
);
-- Listing (org, id) and fan-out (org's enabled endpoints).
CREATE INDEX endpoints_org_id ON webhooks.endpoints (org_id, id);

-- A published event. `idempotency_key` is unique per org while it is younger than 24 h: Publish
-- clears the key of an older event before inserting, so the unique index only ever holds live keys.
CREATE TABLE webhooks.events (
  id              uuid        PRIMARY KEY,
  org_id          text        NOT NULL,
  type            text        NOT NULL,
  payload         jsonb       NOT NULL,
  idempotency_key text,
  traceparent     text        NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX events_org_idempotency ON webhooks.events (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One event for one endpoint: the outbox row. `enqueued_at` is set once a BullMQ job exists for
-- it; the sweeper enqueues due pending rows that have none (or are long overdue: a lost Redis).
CREATE TABLE webhooks.deliveries (
  id               uuid        PRIMARY KEY,
  org_id           text        NOT NULL,
  endpoint_id      uuid        NOT NULL REFERENCES webhooks.endpoints (id) ON DELETE CASCADE,
  event_id         uuid        NOT NULL REFERENCES webhooks.events (id) ON DELETE CASCADE,
  event_type       text        NOT NULL,
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  last_status_code integer     NOT NULL DEFAULT 0,
  last_error       text        NOT NULL DEFAULT '',
  enqueued_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_endpoint_id ON webhooks.deliveries (endpoint_id, id DESC);
CREATE INDEX deliveries_event_id ON webhooks.deliveries (event_id);
-- The sweeper's scan: only pending rows, by due time.
CREATE INDEX deliveries_due ON webhooks.deliveries (next_attempt_at) WHERE status = 'pending';

-- Every HTTP attempt of a delivery.
CREATE TABLE webhooks.attempts (
  delivery_id      uuid        NOT NULL REFERENCES webhooks.deliveries (id) ON DELETE CASCADE,
  number           integer     NOT NULL,
  started_at       timestamptz NOT NULL,
  status_code      integer     NOT NULL DEFAULT 0,
  duration_ms      integer     NOT NULL DEFAULT 0,
  response_excerpt text        NOT NULL DEFAULT '',
  error            text        NOT NULL DEFAULT '',
  PRIMARY KEY (delivery_id, number)
);

-- Down Migration

DROP TABLE webhooks.attempts;
DROP TABLE webhooks.deliveries;
DROP TABLE webhooks.events;
DROP TABLE webhooks.endpoints;
