-- The schema of a fresh database after every migration in packages/server/src/store/sqlite/migrations/.
-- Written by schema-snapshot.test.ts, never by hand: npm run test:store -- packages/server/test/store/schema-snapshot.test.ts -u

CREATE TABLE api_keys (
  key_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  created_at INTEGER NOT NULL
, id TEXT, last_used_at INTEGER, configured INTEGER NOT NULL DEFAULT 0, session_epoch INTEGER NOT NULL DEFAULT 0);

CREATE UNIQUE INDEX api_keys_by_id ON api_keys (id);

CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at);

CREATE TABLE attempt_minutes (
  project_id TEXT NOT NULL,
  -- The webhook's id; '' for dynamic (webhook_config) targets.
  webhook_key TEXT NOT NULL,
  minute INTEGER NOT NULL,
  -- Attempts by outcome, and by latency bucket (b0 ≤ 5 ms … b10 ≤ 10 s, b11 slower: core/attempt-stats.ts).
  succeeded INTEGER NOT NULL DEFAULT 0,
  retrying INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  b0 INTEGER NOT NULL DEFAULT 0,
  b1 INTEGER NOT NULL DEFAULT 0,
  b2 INTEGER NOT NULL DEFAULT 0,
  b3 INTEGER NOT NULL DEFAULT 0,
  b4 INTEGER NOT NULL DEFAULT 0,
  b5 INTEGER NOT NULL DEFAULT 0,
  b6 INTEGER NOT NULL DEFAULT 0,
  b7 INTEGER NOT NULL DEFAULT 0,
  b8 INTEGER NOT NULL DEFAULT 0,
  b9 INTEGER NOT NULL DEFAULT 0,
  b10 INTEGER NOT NULL DEFAULT 0,
  b11 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, webhook_key, minute)
) WITHOUT ROWID;

CREATE INDEX attempt_minutes_by_minute ON attempt_minutes (project_id, minute);

CREATE TABLE "attempts" (
  delivery_key INTEGER NOT NULL,
  attempt_number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  status_code INTEGER,
  latency_ms REAL NOT NULL,
  error TEXT,
  response_excerpt TEXT,
  PRIMARY KEY (delivery_key, attempt_number)
) WITHOUT ROWID;

CREATE TABLE batch_lines (
  batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  line_index INTEGER NOT NULL,
  key TEXT NOT NULL,
  request TEXT,
  state TEXT NOT NULL,
  result TEXT,
  PRIMARY KEY (batch_id, line_index)
);

CREATE INDEX batch_lines_pending ON batch_lines (batch_id, line_index) WHERE state = 'pending';

CREATE TABLE batches (
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

CREATE INDEX batches_by_project ON batches (project_id, created_at);

CREATE INDEX batches_creating ON batches (created_at) WHERE state = 'creating';

CREATE INDEX batches_unfinished ON batches (created_at) WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING');

CREATE TABLE deleted_webhooks (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  uri TEXT NOT NULL,
  deleted_at INTEGER NOT NULL
);

CREATE INDEX deleted_webhooks_by_id ON deleted_webhooks (id);

CREATE TABLE "deliveries" (
  -- The event's key × 65536 + the delivery's number among the event's deliveries.
  key INTEGER PRIMARY KEY,
  -- A static webhook's key, or NULL for a dynamic target.
  webhook_key INTEGER,
  -- A dynamic target's URI; NULL for a static webhook, which is sent to at its current URI.
  uri TEXT,
  state TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER,
  last_status_code INTEGER,
  last_latency_ms REAL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  window_start_at INTEGER NOT NULL,
  -- The worker a pending delivery was born leased to.
  locked_by INTEGER
);

CREATE INDEX deliveries_by_webhook ON deliveries (webhook_key, key) WHERE webhook_key IS NOT NULL;

CREATE TABLE delivery_queue (
  delivery_key INTEGER PRIMARY KEY,
  -- The concurrency budget it shares (core/fanout.ts: endpointKey).
  endpoint TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  -- The worker that claimed it.
  locked_by INTEGER
);

CREATE INDEX delivery_queue_by_endpoint ON delivery_queue (endpoint, due_at);

CREATE INDEX delivery_queue_due ON delivery_queue (due_at);

CREATE INDEX delivery_queue_fifo ON delivery_queue (endpoint, delivery_key) WHERE endpoint LIKE 'fifo:%';

CREATE TABLE "events" (
  key INTEGER PRIMARY KEY,
  -- With the key, the public id: msg_ + 11 base-62 digits of the key + this tag. Empty for a legacy event.
  tag TEXT NOT NULL,
  project_key INTEGER NOT NULL,
  type TEXT NOT NULL,
  operation TEXT,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The id of an event written before this migration, which stays its id.
  legacy_id TEXT
);

CREATE UNIQUE INDEX events_by_legacy_id ON "events" (legacy_id) WHERE legacy_id IS NOT NULL;

CREATE INDEX events_by_operation ON events (operation, key) WHERE operation IS NOT NULL;

CREATE INDEX events_by_project ON events (project_key, key);

CREATE INDEX events_by_type ON events (project_key, type, key);

CREATE TABLE files (
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

CREATE INDEX files_by_project ON files (project_id, created_at);

CREATE INDEX files_expiring ON files (expire_at) WHERE expire_at IS NOT NULL;

CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  owner TEXT NOT NULL,
  response TEXT,
  locked_until INTEGER,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

CREATE TABLE interactions (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  model TEXT,
  agent TEXT,
  status TEXT NOT NULL,
  history TEXT NOT NULL,
  steps TEXT NOT NULL,
  input_count INTEGER NOT NULL,
  tools TEXT,
  system_instruction TEXT,
  generation_config TEXT,
  agent_config TEXT,
  previous_interaction_id TEXT,
  webhook_config TEXT,
  background INTEGER NOT NULL,
  lease_until INTEGER,
  error TEXT,
  usage TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ended_at INTEGER
, resumed_by TEXT);

CREATE INDEX interactions_by_project ON interactions (project_id, created_at);

CREATE INDEX interactions_to_run ON interactions (created_at) WHERE status = 'in_progress';

CREATE INDEX interactions_unfinished ON interactions (status) WHERE status IN ('in_progress', 'requires_action') AND resumed_by IS NULL;

CREATE TABLE operations (
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

CREATE INDEX operations_by_project ON operations (project_id, created_at);

CREATE INDEX operations_to_expire ON operations (expire_at) WHERE state = 'running' AND expire_at IS NOT NULL;

CREATE INDEX operations_unfinished ON operations (created_at) WHERE state = 'running';

CREATE TABLE portal_links (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  read_only INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  expire_at BIGINT NOT NULL,
  opened_at BIGINT
);

CREATE INDEX portal_links_by_project ON portal_links (project_id, created_at);

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
, key INTEGER, retention_ms INTEGER);

CREATE UNIQUE INDEX one_default_project ON projects (is_default) WHERE is_default = 1;

CREATE UNIQUE INDEX projects_by_key ON projects (key);

CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  public_jwk TEXT NOT NULL,
  sealed_private_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
, activates_at INTEGER);

CREATE TABLE sqlite_sequence(name,seq);

CREATE TABLE video_operations (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  model TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  handle TEXT,
  result_file TEXT,
  lease_until INTEGER,
  error TEXT,
  webhook_config TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ended_at INTEGER
);

CREATE INDEX video_operations_by_project ON video_operations (project_id, created_at);

CREATE INDEX video_operations_unfinished ON video_operations (created_at) WHERE state IN ('pending', 'running');

CREATE TABLE webhook_last_errors (
  webhook_id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  error TEXT NOT NULL,
  at INTEGER NOT NULL
);

CREATE TABLE webhooks (
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
, key INTEGER, signing_scheme TEXT NOT NULL DEFAULT 'v1', ordering TEXT, rate_limit_per_second INTEGER);

CREATE UNIQUE INDEX webhooks_by_key ON webhooks (key);

CREATE INDEX webhooks_by_project ON webhooks (project_id, created_at);

CREATE TABLE workers (
  -- AUTOINCREMENT: an id is never used again, so a delivery can never be mistaken for a later worker's.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  alive_until INTEGER NOT NULL,
  -- No delivery born leased to this worker has a smaller key; NULL: it holds none.
  covered_from INTEGER,
  -- Bumped whenever a born lease lowers covered_from, so a renewal computed before cannot raise it again.
  version INTEGER NOT NULL DEFAULT 0
);

-- schema_migrations:
-- 0001 baseline
-- 0002 lease columns
-- 0003 claim by endpoint
-- 0004 staged signing keys
-- 0005 interactions and videos
-- 0006 delivery stats
-- 0007 batches being created
-- 0008 unfinished interactions
-- 0009 lean deliveries
-- 0010 api key lifecycle
-- 0011 idempotency keys and resumed interactions
-- 0012 signing schemes and portal links
-- 0013 webhook routing
