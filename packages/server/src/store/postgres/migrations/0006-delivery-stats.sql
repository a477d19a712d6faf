-- The dashboard and /metrics (issue 9). Attempts are tallied per minute and webhook, by outcome and by latency
-- bucket, as they are written, so a rate over 24 h or a chart over hours reads what that time holds, never the whole
-- history; each webhook's last failure is kept beside them. Lists read newest first through indexes that end
-- in the sort's tie-breaker; the backlog's age and the unfinished operations come from partial indexes.

CREATE TABLE attempt_minutes (
  project_id TEXT NOT NULL,
  -- The webhook's id; '' for dynamic (webhook_config) targets.
  webhook_key TEXT NOT NULL,
  minute BIGINT NOT NULL,
  -- Attempts by outcome, and by latency bucket (b0 ≤ 5 ms … b10 ≤ 10 s, b11 slower: core/attempt-stats.ts).
  succeeded BIGINT NOT NULL DEFAULT 0,
  retrying BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  b0 BIGINT NOT NULL DEFAULT 0,
  b1 BIGINT NOT NULL DEFAULT 0,
  b2 BIGINT NOT NULL DEFAULT 0,
  b3 BIGINT NOT NULL DEFAULT 0,
  b4 BIGINT NOT NULL DEFAULT 0,
  b5 BIGINT NOT NULL DEFAULT 0,
  b6 BIGINT NOT NULL DEFAULT 0,
  b7 BIGINT NOT NULL DEFAULT 0,
  b8 BIGINT NOT NULL DEFAULT 0,
  b9 BIGINT NOT NULL DEFAULT 0,
  b10 BIGINT NOT NULL DEFAULT 0,
  b11 BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, webhook_key, minute)
);
CREATE INDEX attempt_minutes_by_minute ON attempt_minutes (project_id, minute);
CREATE TABLE webhook_last_errors (
  webhook_id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  error TEXT NOT NULL,
  at BIGINT NOT NULL
);
DROP INDEX IF EXISTS deliveries_by_webhook;
CREATE INDEX deliveries_by_webhook_created ON deliveries (webhook_id, created_at, id);
DROP INDEX IF EXISTS events_by_project;
CREATE INDEX events_by_project_created ON events (project_id, created_at, id);
CREATE INDEX events_by_type ON events (project_id, type, created_at, id);
CREATE INDEX events_by_operation ON events (project_id, operation, created_at, id);
CREATE INDEX deliveries_pending_created ON deliveries (created_at) WHERE state = 'pending';
CREATE INDEX operations_unfinished ON operations (created_at) WHERE state = 'running';
