-- The lean write path (issue 16, docs/store.md). Per event, the store used to write six rows and seventeen index
-- entries; most of it was bookkeeping that a delivered event never needs:
-- - Events and deliveries get integer keys, in the order they are written: appends, not inserts at random places
--   in a b-tree. An event's id encodes its key (core/ids.ts); a delivery's key is its event's key × 65,536 plus its
--   number, so an event's deliveries are one range of keys and need no index of their own. Rows name their project
--   and webhook by a small integer key instead of a 36-character id.
-- - A delivery is born leased to the engine that sends it and enters no index on the way: the queue of deliveries
--   waiting for an engine (retries, deliveries handed back or orphaned) is a table of its own.
-- - A success is recorded on the delivery row (status, latency, time); only failed attempts get a row, and no
--   attempt keeps its request headers (they follow from the event and the time; a signature is only shown elided).
-- - A deleted webhook leaves its key, id and URI behind (deleted_webhooks), for the record of its deliveries.
-- - Workers: the processes whose engines hold deliveries, renewed while alive, so that a dead one's deliveries are
--   queued again within seconds (failover), without a lease per delivery.
-- Events written before keep their ids (`legacy_id`); their deliveries get keys in the new scheme.

ALTER TABLE projects ADD COLUMN key INTEGER;
UPDATE projects SET key = rowid;
CREATE UNIQUE INDEX projects_by_key ON projects (key);
ALTER TABLE projects ADD COLUMN retention_ms INTEGER;
ALTER TABLE webhooks ADD COLUMN key INTEGER;
UPDATE webhooks SET key = rowid;
CREATE UNIQUE INDEX webhooks_by_key ON webhooks (key);
-- A deleted webhook's name, for the record of the deliveries it had (they name it by key).
CREATE TABLE deleted_webhooks (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  uri TEXT NOT NULL,
  deleted_at INTEGER NOT NULL
);
CREATE INDEX deleted_webhooks_by_id ON deleted_webhooks (id);

CREATE TABLE new_events (
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
CREATE UNIQUE INDEX events_by_legacy_id ON new_events (legacy_id) WHERE legacy_id IS NOT NULL;
INSERT INTO new_events (key, tag, project_key, type, operation, payload, created_at, legacy_id)
SELECT ROW_NUMBER() OVER (ORDER BY e.created_at, e.id), '', p.key, e.type, e.operation, e.payload, e.created_at, e.id
FROM events e JOIN projects p ON p.id = e.project_id;

CREATE TABLE migration_0009_delivery_keys (old_id TEXT PRIMARY KEY, key INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO migration_0009_delivery_keys (old_id, key)
SELECT d.id, e.key * 65536 + ROW_NUMBER() OVER (PARTITION BY d.event_id ORDER BY d.created_at, d.id) - 1
FROM deliveries d JOIN new_events e ON e.legacy_id = d.event_id;

CREATE TABLE new_deliveries (
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
INSERT INTO new_deliveries (key, webhook_key, uri, state, attempt_count, last_attempt_at, last_status_code, last_latency_ms, last_error,
  created_at, window_start_at, locked_by)
SELECT k.key, w.key, CASE WHEN w.key IS NULL THEN d.uri END, d.state, d.attempt_count, la.started_at, d.last_status_code, la.latency_ms,
  d.last_error, d.created_at, d.window_start_at, NULL
FROM deliveries d JOIN migration_0009_delivery_keys k ON k.old_id = d.id
LEFT JOIN webhooks w ON w.id = d.webhook_id
LEFT JOIN attempts la ON la.delivery_id = d.id AND la.attempt_number = d.attempt_count;

CREATE TABLE new_attempts (
  delivery_key INTEGER NOT NULL,
  attempt_number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  status_code INTEGER,
  latency_ms REAL NOT NULL,
  error TEXT,
  response_excerpt TEXT,
  PRIMARY KEY (delivery_key, attempt_number)
) WITHOUT ROWID;
INSERT INTO new_attempts (delivery_key, attempt_number, started_at, status_code, latency_ms, error, response_excerpt)
SELECT k.key, a.attempt_number, a.started_at, a.status_code, a.latency_ms, a.error, a.response_excerpt
FROM attempts a JOIN migration_0009_delivery_keys k ON k.old_id = a.delivery_id
WHERE a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299;

CREATE TABLE delivery_queue (
  delivery_key INTEGER PRIMARY KEY,
  -- The concurrency budget it shares (core/fanout.ts: endpointKey).
  endpoint TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  -- The worker that claimed it.
  locked_by INTEGER
);
INSERT INTO delivery_queue (delivery_key, endpoint, due_at, locked_by)
SELECT k.key, d.endpoint_key, d.next_attempt_at, NULL
FROM deliveries d JOIN migration_0009_delivery_keys k ON k.old_id = d.id WHERE d.state = 'pending';

DROP TABLE migration_0009_delivery_keys;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
ALTER TABLE new_events RENAME TO events;
ALTER TABLE new_deliveries RENAME TO deliveries;
ALTER TABLE new_attempts RENAME TO attempts;
CREATE INDEX events_by_project ON events (project_key, key);
CREATE INDEX events_by_type ON events (project_key, type, key);
CREATE INDEX events_by_operation ON events (operation, key) WHERE operation IS NOT NULL;
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_key, key) WHERE webhook_key IS NOT NULL;
CREATE INDEX delivery_queue_by_endpoint ON delivery_queue (endpoint, due_at);
CREATE INDEX delivery_queue_due ON delivery_queue (due_at);

-- Files go at their expireTime (retention): found through this index.
CREATE INDEX files_expiring ON files (expire_at) WHERE expire_at IS NOT NULL;

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
