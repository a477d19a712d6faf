import type { ApiKeyInfo, ApiKeyRecord, KeyHolder, Project } from "../../core/projects.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { API_KEY_INFO_COLUMNS, toApiKeyInfo, toKeyHolder, type ApiKeyRow } from "../api-key-rows.js";
import { toProject, type ProjectRow } from "../rows.js";
import type { ProjectStore } from "../store.js";
import { insertRow, ms, type SqlDb } from "./db.js";

/**
 * Adds the key TIDINGS_API_KEY configures and deletes the configured keys it replaces; returns their ids. Each
 * driver's own: processes starting together with the same key must not delete each other's row.
 */
export type ConfigureApiKey = (db: SqlDb, key: ApiKeyRecord) => Promise<string[]>;

/** A key whose hash is known already is left as it is. */
export async function insertApiKey(db: SqlDb, key: ApiKeyRecord): Promise<void> {
  await db.run(
    `INSERT INTO api_keys (id, key_hash, project_id, created_at, configured)
     VALUES (:id, :keyHash, :projectId, :createdAt, :configured) ON CONFLICT (key_hash) DO NOTHING`,
    {
      id: key.id,
      keyHash: key.keyHash,
      projectId: key.projectId,
      createdAt: ms(key.createdAt),
      configured: key.configured,
    },
  );
}

export class SqlProjects implements ProjectStore {
  constructor(
    private readonly db: SqlDb,
    private readonly configureApiKey: ConfigureApiKey,
  ) {}

  /** Its key (events name their project by it) is the next one (Dialect.newKey); projects are never deleted. */
  async insert(p: Project): Promise<void> {
    await insertRow(
      this.db,
      "projects",
      { id: p.id, display_name: p.displayName, is_default: p.isDefault, created_at: ms(p.createdAt) },
      this.db.dialect.newKey(["projects"]),
    );
  }

  async get(id: string): Promise<Project | undefined> {
    const row = await this.db.first<ProjectRow>("SELECT * FROM projects WHERE id = :id", { id });
    return row && toProject(row);
  }

  async getDefault(): Promise<Project | undefined> {
    const row = await this.db.first<ProjectRow>(
      `SELECT * FROM projects WHERE is_default = ${this.db.dialect.true} ORDER BY created_at, id LIMIT 1`,
    );
    return row && toProject(row);
  }

  /** The project's row, locked until the transaction ends (Dialect.forUpdate); SQLite's one writer needs no lock. */
  async lock(projectId: string): Promise<void> {
    if (this.db.dialect.forUpdate === "") return;
    await this.db.all(`SELECT id FROM projects WHERE id = :projectId ${this.db.dialect.forUpdate}`, { projectId });
  }

  async setRetention(id: string, retentionMs: number | undefined): Promise<boolean> {
    return (
      (await this.db.run("UPDATE projects SET retention_ms = :retentionMs WHERE id = :id", {
        id,
        retentionMs: retentionMs ?? null,
      })) > 0
    );
  }

  async addApiKey(key: ApiKeyRecord): Promise<void> {
    await insertApiKey(this.db, key);
  }

  setConfiguredApiKey(key: ApiKeyRecord): Promise<string[]> {
    return this.configureApiKey(this.db, key);
  }

  async keyHolder(keyHash: string): Promise<KeyHolder | undefined> {
    const row = await this.db.first<ApiKeyRow>(
      "SELECT id, project_id, session_epoch FROM api_keys WHERE key_hash = :keyHash",
      { keyHash },
    );
    return row && toKeyHolder(row);
  }

  async listApiKeys(projectId: string, page: PageRequest): Promise<Page<ApiKeyInfo>> {
    const rows = await this.db.all<ApiKeyRow>(
      `SELECT ${API_KEY_INFO_COLUMNS} FROM api_keys WHERE project_id = :projectId ORDER BY created_at, id
       LIMIT :limit OFFSET :offset`,
      { projectId, limit: page.pageSize + 1, offset: page.offset },
    );
    return toPage(rows.map(toApiKeyInfo), page);
  }

  async deleteApiKey(projectId: string, id: string): Promise<boolean> {
    return (
      (await this.db.run("DELETE FROM api_keys WHERE project_id = :projectId AND id = :id", { projectId, id })) > 0
    );
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    await this.db.run("UPDATE api_keys SET last_used_at = :now WHERE id = :id", { id, now: ms(now) });
  }

  async endSessions(id: string): Promise<void> {
    await this.db.run("UPDATE api_keys SET session_epoch = session_epoch + 1 WHERE id = :id", { id });
  }
}
