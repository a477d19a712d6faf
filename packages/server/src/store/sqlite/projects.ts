import type { Project } from "../../core/projects.js";
import { toProject, type ProjectRow } from "../rows.js";
import type { ProjectStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteProjects extends SqliteAggregate implements ProjectStore {
  insert(p: Project): Promise<void> {
    return this.run(() => {
      // Its key (events name their project by it) is the next one; projects are never deleted.
      this.statement(
        "INSERT INTO projects (id, display_name, is_default, created_at, key) VALUES (?, ?, ?, ?, 1 + COALESCE((SELECT MAX(key) FROM projects), 0))",
      ).run(p.id, p.displayName, p.isDefault ? 1 : 0, p.createdAt);
    });
  }

  get(id: string): Promise<Project | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM projects WHERE id = ?").get(id) as ProjectRow | undefined;
      return row && toProject(row);
    });
  }

  getDefault(): Promise<Project | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM projects WHERE is_default = 1").get() as ProjectRow | undefined;
      return row && toProject(row);
    });
  }

  addApiKey(projectId: string, keyHash: string, now: number): Promise<void> {
    return this.run(() => {
      this.statement("INSERT INTO api_keys (key_hash, project_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING").run(keyHash, projectId, now);
    });
  }

  setRetention(id: string, retentionMs: number | undefined): Promise<boolean> {
    return this.run(() => this.statement("UPDATE projects SET retention_ms = ? WHERE id = ?").run(retentionMs ?? null, id).changes > 0);
  }

  projectIdForKeyHash(keyHash: string): Promise<string | undefined> {
    return this.run(
      () => (this.statement("SELECT project_id FROM api_keys WHERE key_hash = ?").get(keyHash) as { project_id: string } | undefined)?.project_id,
    );
  }
}
