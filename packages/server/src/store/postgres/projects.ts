import type { Project } from "../../core/projects.js";
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
    const row = await this.db.first<ProjectRow>("SELECT * FROM projects WHERE is_default ORDER BY created_at, id LIMIT 1");
    return row && toProject(row);
  }

  async addApiKey(projectId: string, keyHash: string, now: number): Promise<void> {
    await this.db.query("INSERT INTO api_keys (key_hash, project_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO NOTHING", [
      keyHash,
      projectId,
      ms(now),
    ]);
  }

  async setRetention(id: string, retentionMs: number | undefined): Promise<boolean> {
    return (await this.db.count("UPDATE projects SET retention_ms = $1 WHERE id = $2", [retentionMs ?? null, id])) > 0;
  }

  async projectIdForKeyHash(keyHash: string): Promise<string | undefined> {
    return (await this.db.first<{ project_id: string }>("SELECT project_id FROM api_keys WHERE key_hash = $1", [keyHash]))?.project_id;
  }
}
