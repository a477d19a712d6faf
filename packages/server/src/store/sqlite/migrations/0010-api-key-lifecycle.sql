-- API keys can be listed and revoked (`GET`/`DELETE /v1/projects/{id}/apiKeys/…`), so each gets an id; keys
-- minted before, 0.1's among them, get a random one here. `last_used_at` is written at most once a minute per key.
-- `configured` marks the key TIDINGS_API_KEY set, so that a new value revokes the one it replaces.
-- `session_epoch` goes up when a dashboard session of the key signs out, which ends every session sealed before.

ALTER TABLE api_keys ADD COLUMN id TEXT;
UPDATE api_keys SET id = lower(hex(randomblob(18))) WHERE id IS NULL;
CREATE UNIQUE INDEX api_keys_by_id ON api_keys (id);
CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at);
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_keys ADD COLUMN configured INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
