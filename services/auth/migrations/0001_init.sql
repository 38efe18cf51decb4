-- Up Migration

-- Organisations own API keys. Names are free text, except `root`, which is the bootstrap org
-- and must exist once (replicas starting together race to create it).
CREATE TABLE auth.orgs (
  id         uuid PRIMARY KEY,
  name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX orgs_root_name_key ON auth.orgs (name) WHERE name = 'root';
CREATE INDEX orgs_created_at_idx ON auth.orgs (created_at, id);

-- API keys. The key itself is never stored: only its SHA-256 (hex) and a display prefix.
CREATE TABLE auth.api_keys (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES auth.orgs (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  scopes        text[] NOT NULL DEFAULT '{}',
  metadata      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  -- The effective end of validity: the key's own expiry, or the end of a rotation grace period.
  expires_at    timestamptz,
  -- {limit, windowSeconds, algorithm}
  rate_limit    jsonb,
  root          boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  -- Set when the key was rotated: the id of the key that replaced it.
  superseded_by uuid
);

-- At most one active root key. A root key leaves this set when it is revoked or given an end
-- (a rotation grace period), so rotating the root key with a grace period is possible.
CREATE UNIQUE INDEX api_keys_one_active_root ON auth.api_keys (root)
  WHERE root AND revoked_at IS NULL AND expires_at IS NULL;

-- ListKeys: one org's unrevoked keys, newest first, keyset-paginated on (created_at, id).
CREATE INDEX api_keys_org_list_idx ON auth.api_keys (org_id, created_at DESC, id DESC)
  WHERE revoked_at IS NULL;

-- Down Migration
DROP TABLE auth.api_keys;
DROP TABLE auth.orgs;
