-- Up Migration

-- Transactional outbox of system events (key.created, key.updated, key.revoked, key.rotated).
-- A row is written in the same transaction as the key change it describes, so an event exists
-- exactly when its change committed, whether or not the webhooks service is up. The relay in
-- the auth module publishes pending rows to WebhookService.Publish (idempotency key = row id)
-- and marks them sent; sent rows are pruned after a day.
CREATE TABLE auth.event_outbox (
  id              uuid PRIMARY KEY,
  -- No foreign key: an event must outlive anything it refers to.
  org_id          uuid NOT NULL,
  type            text NOT NULL CHECK (char_length(type) BETWEEN 1 AND 128),
  data            jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  -- When the relay may (re)try it; also the lease of a claimed row.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  sent_at         timestamptz
);

-- The relay's claim: pending rows that are due, oldest first.
CREATE INDEX event_outbox_pending_idx ON auth.event_outbox (next_attempt_at, created_at, id) WHERE sent_at IS NULL;
-- Pruning of sent rows.
CREATE INDEX event_outbox_sent_idx ON auth.event_outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Down Migration
DROP TABLE auth.event_outbox;
