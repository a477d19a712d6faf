-- A static webhook signs with `v1` (HMAC, every webhook so far) or `v1a` (Ed25519; its keys are sealed in
-- `sealed_secrets` like secrets, so rotation overlaps alike). Portal links: single-use links that sign a browser
-- into one project's dashboard until `expire_at`; only a hash of the link's token is kept, and revoking one
-- deletes its row, which ends the session it opened.

ALTER TABLE webhooks ADD COLUMN signing_scheme TEXT NOT NULL DEFAULT 'v1';
CREATE TABLE portal_links (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  read_only BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  expire_at BIGINT NOT NULL,
  opened_at BIGINT
);
CREATE INDEX portal_links_by_project ON portal_links (project_id, created_at);
