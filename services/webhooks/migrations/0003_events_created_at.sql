-- Up Migration

-- Retention (DATAHUB_WEBHOOKS_RETENTION_DAYS) deletes the oldest finished events first; without
-- this index every pass would scan the whole events table.
CREATE INDEX events_created_at ON webhooks.events (created_at);

-- Down Migration

DROP INDEX webhooks.events_created_at;
