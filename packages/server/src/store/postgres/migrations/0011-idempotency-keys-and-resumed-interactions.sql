-- Idempotent creates: one row per `Idempotency-Key` and scope (a project, or the admin key), in flight while
-- its first request runs (`locked_until`), then holding that request's sealed answer until it expires (24 h).
-- And an interaction answered twice continues once: a paused interaction names the continuation that
-- answered it (`resumed_by`), set in the transaction that stores that continuation. An answered interaction
-- keeps `requires_action` but is no longer unfinished, so the index /metrics counts by leaves it out.

CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  owner TEXT NOT NULL,
  response TEXT,
  locked_until BIGINT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
ALTER TABLE interactions ADD COLUMN resumed_by TEXT;
DROP INDEX interactions_unfinished;
CREATE INDEX interactions_unfinished ON interactions (status) WHERE status IN ('in_progress', 'requires_action') AND resumed_by IS NULL;
