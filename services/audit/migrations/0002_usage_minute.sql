-- Up Migration

-- Per-minute usage rollups, upserted in the same transaction as the raw rows (AppendLogs), so
-- GetUsage never scans request_logs. errors = status >= 400 except 429; rate_limited = 429.
-- latency_buckets[i] counts requests whose duration_ms fell in bucket i of the fixed bounds in
-- src/histogram.ts (the last bucket is +Inf); merging minutes into hours/days is element-wise sum.
CREATE TABLE audit.usage_minute (
  org_id          text        NOT NULL,
  key_id          text        NOT NULL,
  minute          timestamptz NOT NULL,
  requests        bigint      NOT NULL,
  errors          bigint      NOT NULL,
  rate_limited    bigint      NOT NULL,
  latency_buckets bigint[]    NOT NULL,
  PRIMARY KEY (org_id, key_id, minute)
);

-- Usage of a whole org (no key filter) over a time range.
CREATE INDEX usage_minute_org_minute ON audit.usage_minute (org_id, minute);

-- Down Migration
DROP TABLE audit.usage_minute;
