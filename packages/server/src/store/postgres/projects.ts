import type { ApiKeyInfo, ApiKeyRecord, KeyHolder, Project } from "../../core/projects.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { API_KEY_INFO_COLUMNS, toApiKeyInfo, toKeyHolder, type ApiKeyRow } from "../api-key-rows.js";
import { toProject, type ProjectRow } from "../rows.js";
import type { ProjectStore } from "../store.js";
import { ms, type PgExecutor } from "./executor.js";

export class PgProjects implements ProjectStore {
  constructor(private readonly db: PgExecutor) {}

  async insert(p: Project): Promise<void> {
    await this.db.query("INSERT INTO projects (id, display_name, is_default, created_at) VALUES ($1, $2, $3, $4)", [
      p.id,
      p.displayName,
      p.isDefault,
      ms(p.createdAt),
    ]);
  }

  async get(id: string): Promise<Project | undefined> {
    const row = await this.db.first<ProjectRow>("SELECT * FROM projects WHERE id = $1", [id]);
    return row && toProject(row);
  }

  async getDefault(): Promise<Project | undefined> {
    const row = await this.db.first<ProjectRow>(
      "SELECT * FROM projects WHERE is_default ORDER BY created_at, id LIMIT 1",
    );
    return row && toProject(row);
  }

  async lock(projectId: string): Promise<void> {
    await this.db.query("SELECT id FROM projects WHERE id = $1 FOR UPDATE", [projectId]);
  }

  async setRetention(id: string, retentionMs: number | undefined): Promise<boolean> {
    return (await this.db.count("UPDATE projects SET retention_ms = $1 WHERE id = $2", [retentionMs ?? null, id])) > 0;
  }

  async addApiKey(key: ApiKeyRecord): Promise<void> {
    await this.insertKey(key);
  }

  async setConfiguredApiKey(key: ApiKeyRecord): Promise<string[]> {
    // One statement: processes starting together with the same key must not delete each other's row.
    const rows = await this.db.all<{ id: string }>(
      `WITH added AS (
         INSERT INTO api_keys (id, key_hash, project_id, created_at, configured) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (key_hash) DO UPDATE SET configured = api_keys.configured OR api_keys.project_id = excluded.project_id
       )
       DELETE FROM api_keys WHERE project_id = $3 AND configured AND key_hash <> $2 RETURNING id`,
      [key.id, key.keyHash, key.projectId, ms(key.createdAt)],
    );
    return rows.map((r) => r.id);
  }

  async keyHolder(keyHash: string): Promise<KeyHolder | undefined> {
    const row = await this.db.first<ApiKeyRow>(
      "SELECT id, project_id, session_epoch FROM api_keys WHERE key_hash = $1",
      [keyHash],
    );
    return row && toKeyHolder(row);
  }

  async listApiKeys(projectId: string, page: PageRequest): Promise<Page<ApiKeyInfo>> {
    const rows = await this.db.all<ApiKeyRow>(
      `SELECT ${API_KEY_INFO_COLUMNS} FROM api_keys WHERE project_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [projectId, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toApiKeyInfo), page);
  }

  async deleteApiKey(projectId: string, id: string): Promise<boolean> {
    return (await this.db.count("DELETE FROM api_keys WHERE project_id = $1 AND id = $2", [projectId, id])) > 0;
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    await this.db.query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2", [ms(now), id]);
  }

  async endSessions(id: string): Promise<void> {
    await this.db.query("UPDATE api_keys SET session_epoch = session_epoch + 1 WHERE id = $1", [id]);
  }

  private async insertKey(key: ApiKeyRecord): Promise<void> {
    await this.db.query(
      "INSERT INTO api_keys (id, key_hash, project_id, created_at, configured) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_hash) DO NOTHING",
      [key.id, key.keyHash, key.projectId, ms(key.createdAt), key.configured],
    );
  }
}
