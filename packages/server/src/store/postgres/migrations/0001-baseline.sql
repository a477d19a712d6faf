-- The schema of Tidings 0.1, which created its tables with CREATE … IF NOT EXISTS at every start and kept
-- no migrations table: idempotent, so a database that release wrote carries on from here unchanged, and a
-- fresh one gets the same tables before the later migrations. Times are BIGINT milliseconds. JSON columns
-- are TEXT, not JSONB: an event's payload is the exact body that is signed and sent, and JSONB would
-- reorder and reformat it.

CREATE TABLE IF NOT EXISTS projects (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  is_default BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL
);
-- Processes starting together on an empty database must agree on one default project.
CREATE UNIQUE INDEX IF NOT EXISTS one_default_project ON projects (is_default) WHERE is_default;
CREATE TABLE IF NOT EXISTS api_keys (
  key_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  uri TEXT NOT NULL,
  subscribed_events TEXT NOT NULL,
  state TEXT NOT NULL,
  sealed_secrets TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_success_at BIGINT
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
  expire_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_by_project ON operations (project_id, created_at);
CREATE INDEX IF NOT EXISTS operations_to_expire ON operations (expire_at) WHERE state = 'running' AND expire_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  type TEXT NOT NULL,
  operation TEXT,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
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
  next_attempt_at BIGINT NOT NULL,
  leased BOOLEAN NOT NULL DEFAULT false,
  window_start_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_error TEXT,
  last_status_code INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_id);
CREATE INDEX IF NOT EXISTS deliveries_by_project ON deliveries (project_id, created_at);
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id TEXT NOT NULL,
  attempt_number INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  status_code INTEGER,
  latency_ms DOUBLE PRECISION NOT NULL,
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
  deadline_at BIGINT NOT NULL,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  ended_at BIGINT
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
  created_at BIGINT NOT NULL,
  retired_at BIGINT
);

CREATE TABLE IF NOT EXISTS files (
  id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 TEXT,
  state TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  expire_at BIGINT,
  -- Clients may choose ids, so they are unique per project, not globally (no cross-project existence leak).
  PRIMARY KEY (project_id, id)
);
CREATE INDEX IF NOT EXISTS files_by_project ON files (project_id, created_at);
