import type { ApiKeyInfo, KeyHolder } from "../core/projects.js";

type Millis = number | string;

/** An `api_keys` row; BIGINTs come back from pg as strings, booleans from SQLite as 0/1. */
export interface ApiKeyRow {
  id: string;
  project_id: string;
  created_at: Millis;
  last_used_at: Millis | null;
  configured: number | boolean;
  session_epoch: number | string;
}

/** Every column but the hash: what lists read. */
export const API_KEY_INFO_COLUMNS = "id, project_id, created_at, last_used_at, configured";

export const toApiKeyInfo = (r: Omit<ApiKeyRow, "session_epoch">): ApiKeyInfo => ({
  id: r.id,
  projectId: r.project_id,
  createdAt: Number(r.created_at),
  ...(r.last_used_at !== null ? { lastUsedAt: Number(r.last_used_at) } : {}),
  configured: Boolean(r.configured),
});

export const toKeyHolder = (r: Pick<ApiKeyRow, "id" | "project_id" | "session_epoch">): KeyHolder => ({
  keyId: r.id,
  projectId: r.project_id,
  sessionEpoch: Number(r.session_epoch),
});
