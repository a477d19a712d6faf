-- Interactions (docs/wire.md: interactions) and video operations (docs/wire.md: video generation). Steps, tools and
-- other wire shapes are JSON TEXT (not JSONB, which would reorder them), kept as the client sent or the provider
-- answered them; times are BIGINT milliseconds. A run lease marks a background interaction or a video some process
-- is working on; one that is never renewed (a crash) runs out and another process resumes it.

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
  background BOOLEAN NOT NULL,
  lease_until BIGINT,
  error TEXT,
  usage TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  ended_at BIGINT
);
CREATE INDEX interactions_by_project ON interactions (project_id, created_at);
CREATE INDEX interactions_to_run ON interactions (created_at) WHERE status = 'in_progress';
CREATE TABLE video_operations (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  model TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  handle TEXT,
  result_file TEXT,
  lease_until BIGINT,
  error TEXT,
  webhook_config TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  ended_at BIGINT
);
CREATE INDEX video_operations_by_project ON video_operations (project_id, created_at);
CREATE INDEX video_operations_unfinished ON video_operations (created_at) WHERE state IN ('pending', 'running');
