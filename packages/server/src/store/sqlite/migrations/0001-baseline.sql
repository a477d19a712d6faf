-- The schema of Tidings 0.1, which created its tables with CREATE … IF NOT EXISTS and kept no migrations
-- table. Every statement is idempotent, so on a database that release wrote it changes nothing, and the
-- database carries on from here; on a fresh one it creates the 0.1 schema, and the later migrations follow.
-- Times are integer milliseconds since the epoch; JSON columns hold TEXT.

CREATE TABLE IF NOT EXISTS projects (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_default_project ON projects (is_default) WHERE is_default = 1;
CREATE TABLE IF NOT EXISTS api_keys (
  key_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  uri TEXT NOT NULL,
  subscribed_events TEXT NOT NULL,
  state TEXT NOT NULL,
  sealed_secrets TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_success_at INTEGER
);
CREATE INDEX IF NOT EXISTS webhooks_by_project ON webhooks (project_id, created_at);
CREATE TABLE IF NOT EXISTS operations (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  metadata TEXT NOT NULL,
  webhook_config TEXT,
  response TEXT,
  output_file_uri TEXT,
  error TEXT,
  expire_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_by_project ON operations (project_id, created_at);
CREATE INDEX IF NOT EXISTS operations_to_expire ON operations (expire_at) WHERE state = 'running' AND expire_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  type TEXT NOT NULL,
  operation TEXT,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_project ON events (project_id, created_at);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES events(id),
  webhook_id TEXT,
  uri TEXT NOT NULL,
  endpoint_key TEXT NOT NULL,
  state TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  -- While leased, next_attempt_at is the lease's end: an unsettled lease simply becomes due again.
  next_attempt_at INTEGER NOT NULL,
  leased INTEGER NOT NULL DEFAULT 0,
  window_start_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_error TEXT,
  last_status_code INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_id);
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id TEXT NOT NULL,
  attempt_number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  status_code INTEGER,
  latency_ms REAL NOT NULL,
  error TEXT,
  response_excerpt TEXT,
  request_headers TEXT NOT NULL,
  PRIMARY KEY (delivery_id, attempt_number)
);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  model TEXT NOT NULL,
  state TEXT NOT NULL,
  input_file TEXT,
  request_count INTEGER NOT NULL,
  successful_request_count INTEGER NOT NULL DEFAULT 0,
  failed_request_count INTEGER NOT NULL DEFAULT 0,
  webhook_config TEXT,
  output_file TEXT,
  error TEXT,
  deadline_at INTEGER NOT NULL,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX IF NOT EXISTS batches_by_project ON batches (project_id, created_at);
CREATE INDEX IF NOT EXISTS batches_unfinished ON batches (created_at) WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING');
CREATE TABLE IF NOT EXISTS batch_lines (
  batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  line_index INTEGER NOT NULL,
  key TEXT NOT NULL,
  request TEXT,
  state TEXT NOT NULL,
  result TEXT,
  PRIMARY KEY (batch_id, line_index)
);
CREATE INDEX IF NOT EXISTS batch_lines_pending ON batch_lines (batch_id, line_index) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY,
  public_jwk TEXT NOT NULL,
  sealed_private_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);

CREATE TABLE IF NOT EXISTS files (
  id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT,
  state TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expire_at INTEGER,
  -- Clients may choose ids, so they are unique per project, not globally (no cross-project existence leak).
  PRIMARY KEY (project_id, id)
);
CREATE INDEX IF NOT EXISTS files_by_project ON files (project_id, created_at);
