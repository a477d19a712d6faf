import type pg from "pg";
import type { FileRecord } from "../../core/files.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { FILE_COLUMNS, fileUpdateValues, fileValues, toFile, type FileRow } from "../file-rows.js";
import type { FileStore } from "../file-store.js";

/** Run inside PostgresStore.connect's schema transaction (under its advisory lock); idempotent. */
export const POSTGRES_FILES_SCHEMA = `
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
`;

export class PostgresFileStore implements FileStore {
  constructor(private readonly pool: pg.Pool) {}

  async insert(file: FileRecord): Promise<void> {
    await this.pool.query(`INSERT INTO files (${FILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, fileValues(file));
  }

  async get(projectId: string, id: string): Promise<FileRecord | undefined> {
    const { rows } = await this.pool.query<FileRow>("SELECT * FROM files WHERE project_id = $1 AND id = $2", [projectId, id]);
    return rows[0] && toFile(rows[0]);
  }

  async list(projectId: string, page: PageRequest): Promise<Page<FileRecord>> {
    const { rows } = await this.pool.query<FileRow>(
      "SELECT * FROM files WHERE project_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
      [projectId, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toFile), page);
  }

  async update(file: FileRecord): Promise<void> {
    await this.pool.query(
      `UPDATE files SET display_name = $1, size_bytes = $2, sha256 = $3, state = $4, updated_at = $5, expire_at = $6
       WHERE project_id = $7 AND id = $8`,
      [...fileUpdateValues(file), file.projectId, file.id],
    );
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    const result = await this.pool.query("DELETE FROM files WHERE project_id = $1 AND id = $2", [projectId, id]);
    return (result.rowCount ?? 0) > 0;
  }
}
