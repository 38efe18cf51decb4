-- Up Migration

-- Console sessions (docs/console.md): an API key exchanged for a session token. The token itself
-- is never stored, only its SHA-256 (hex), like a key's. A session is valid while it is neither
-- ended nor expired AND its key is valid: revoking the key ends every session made with it.
CREATE TABLE auth.console_sessions (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  key_id     uuid NOT NULL REFERENCES auth.api_keys (id) ON DELETE CASCADE,
  -- The key's org: keys are looked up by (org, id).
  org_id     uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at   timestamptz
);

-- Pruning of expired sessions.
CREATE INDEX console_sessions_expires_at_idx ON auth.console_sessions (expires_at);
CREATE INDEX console_sessions_key_id_idx ON auth.console_sessions (key_id);

-- Down Migration
DROP TABLE auth.console_sessions;
