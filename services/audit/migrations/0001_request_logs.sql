-- Up Migration

-- One row per request the edge handled. Partitioned by UTC day on `ts` so retention is a DROP of
-- whole partitions (src/partitions.ts creates them ahead and drops expired ones). `id` is a
-- tiebreaker for stable (ts, id) cursors; it is unique per row but not ordered with `ts`.
CREATE TABLE audit.request_logs (
  ts          timestamptz NOT NULL,
  id          bigserial   NOT NULL,
  org_id      text        NOT NULL DEFAULT '',
  key_id      text        NOT NULL DEFAULT '',
  request_id  text        NOT NULL,
  method      text        NOT NULL,
  -- C collation: byte order, so `path LIKE 'prefix%'` can use a plain btree range scan.
  path        text COLLATE "C" NOT NULL,
  route       text        NOT NULL DEFAULT '',
  status      smallint    NOT NULL,
  duration_ms real        NOT NULL DEFAULT 0,
  gateway_ms  real        NOT NULL DEFAULT 0,
  client_ip   text        NOT NULL DEFAULT '',
  user_agent  text        NOT NULL DEFAULT '',
  bytes_in    bigint      NOT NULL DEFAULT 0,
  bytes_out   bigint      NOT NULL DEFAULT 0,
  trace_id    text        NOT NULL DEFAULT '',
  error       text        NOT NULL DEFAULT ''
) PARTITION BY RANGE (ts);

-- Catches any record whose day has no partition yet (clock skew, a late maintenance run), so an
-- insert is never rejected. Maintenance moves such rows into their day's partition.
CREATE TABLE audit.request_logs_default PARTITION OF audit.request_logs DEFAULT;

-- Every listing is "one org, newest first, (ts, id) cursor"; each filter gets an index whose
-- trailing (ts, id) columns give the order, so LIMIT stops after one page. See docs/audit.md.
CREATE INDEX request_logs_org_ts ON audit.request_logs (org_id, ts DESC, id DESC);
CREATE INDEX request_logs_org_key_ts ON audit.request_logs (org_id, key_id, ts DESC, id DESC);
CREATE INDEX request_logs_org_status_ts ON audit.request_logs (org_id, status, ts DESC, id DESC);
CREATE INDEX request_logs_org_method_ts ON audit.request_logs (org_id, method, ts DESC, id DESC);
CREATE INDEX request_logs_org_path ON audit.request_logs (org_id, path, ts DESC);
CREATE INDEX request_logs_org_request_id ON audit.request_logs (org_id, request_id, ts DESC, id DESC);

-- Down Migration
DROP TABLE audit.request_logs;
