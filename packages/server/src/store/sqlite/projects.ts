import type { ApiKeyInfo, ApiKeyRecord, KeyHolder, Project } from "../../core/projects.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { API_KEY_INFO_COLUMNS, toApiKeyInfo, toKeyHolder, type ApiKeyRow } from "../api-key-rows.js";
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

  /** BEGIN IMMEDIATE already makes every write transaction wait for the one before. */
  lock(_projectId: string): Promise<void> {
    return Promise.resolve();
  }

  addApiKey(key: ApiKeyRecord): Promise<void> {
    return this.run(() => {
      this.insertKey(key);
    });
  }

  setRetention(id: string, retentionMs: number | undefined): Promise<boolean> {
    return this.run(
      () =>
        this.statement("UPDATE projects SET retention_ms = ? WHERE id = ?").run(retentionMs ?? null, id).changes > 0,
    );
  }

  setConfiguredApiKey(key: ApiKeyRecord): Promise<string[]> {
    return this.atomically(() => {
      this.insertKey(key);
      this.statement("UPDATE api_keys SET configured = 1 WHERE key_hash = ? AND project_id = ?").run(
        key.keyHash,
        key.projectId,
      );
      const replaced = this.statement(
        "SELECT id FROM api_keys WHERE project_id = ? AND configured = 1 AND key_hash <> ?",
      ).all(key.projectId, key.keyHash) as {
        id: string;
      }[];
      this.statement("DELETE FROM api_keys WHERE project_id = ? AND configured = 1 AND key_hash <> ?").run(
        key.projectId,
        key.keyHash,
      );
      return replaced.map((r) => r.id);
    });
  }

  keyHolder(keyHash: string): Promise<KeyHolder | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT id, project_id, session_epoch FROM api_keys WHERE key_hash = ?").get(
        keyHash,
      ) as ApiKeyRow | undefined;
      return row && toKeyHolder(row);
    });
  }

  listApiKeys(projectId: string, page: PageRequest): Promise<Page<ApiKeyInfo>> {
    return this.run(() => {
      const rows = this.statement(
        `SELECT ${API_KEY_INFO_COLUMNS} FROM api_keys WHERE project_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?`,
      ).all(projectId, page.pageSize + 1, page.offset) as ApiKeyRow[];
      return toPage(rows.map(toApiKeyInfo), page);
    });
  }

  deleteApiKey(projectId: string, id: string): Promise<boolean> {
    return this.run(
      () => this.statement("DELETE FROM api_keys WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0,
    );
  }

  touchApiKey(id: string, now: number): Promise<void> {
    return this.run(() => {
      this.statement("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(now, id);
    });
  }

  endSessions(id: string): Promise<void> {
    return this.run(() => {
      this.statement("UPDATE api_keys SET session_epoch = session_epoch + 1 WHERE id = ?").run(id);
    });
  }

  private insertKey(key: ApiKeyRecord): void {
    this.statement(
      "INSERT INTO api_keys (id, key_hash, project_id, created_at, configured) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_hash) DO NOTHING",
    ).run(key.id, key.keyHash, key.projectId, key.createdAt, key.configured ? 1 : 0);
  }
}
