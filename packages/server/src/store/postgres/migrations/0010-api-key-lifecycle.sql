-- API keys can be listed and revoked (`GET`/`DELETE /v1/projects/{id}/apiKeys/…`), so each gets an id; keys
-- minted before, 0.1's among them, get a random one here. `last_used_at` is written at most once a minute per key.
-- `configured` marks the key TIDINGS_API_KEY set, so that a new value revokes the one it replaces.
-- `session_epoch` goes up when a dashboard session of the key signs out, which ends every session sealed before.
--
-- Every process keeps known keys in memory for a few seconds. A key deleted or signed out, by Tidings or by
-- hand, notifies every process sharing the database (the payload is the schema, as for deliveries), and each
-- forgets what it knew at once.

ALTER TABLE api_keys ADD COLUMN id TEXT;
UPDATE api_keys SET id = substr(md5(random()::text || key_hash) || md5(key_hash || clock_timestamp()::text), 1, 36) WHERE id IS NULL;
ALTER TABLE api_keys ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX api_keys_by_id ON api_keys (id);
CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at);
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_keys ADD COLUMN configured BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
CREATE FUNCTION api_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tidings_api_keys', TG_TABLE_SCHEMA);
  RETURN NULL;
END;
$$;
CREATE TRIGGER api_keys_changed AFTER DELETE OR UPDATE OF key_hash, project_id, session_epoch ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION api_keys_changed();
