import type Database from "better-sqlite3";
import type { FileRecord } from "../../core/files.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { FILE_COLUMNS, fileUpdateValues, fileValues, toFile, type FileRow } from "../file-rows.js";
import type { FileStore } from "../file-store.js";

/** Run by SqliteStore's constructor next to the main schema; idempotent. */
export const SQLITE_FILES_SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
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
CREATE INDEX IF NOT EXISTS files_by_project ON files (project_id, created_at);
`;

export class SqliteFileStore implements FileStore {
  constructor(private readonly db: Database.Database) {}

  async insert(file: FileRecord): Promise<void> {
    this.db.prepare(`INSERT INTO files (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...fileValues(file));
  }

  async get(projectId: string, id: string): Promise<FileRecord | undefined> {
    const row = this.db.prepare("SELECT * FROM files WHERE project_id = ? AND id = ?").get(projectId, id) as FileRow | undefined;
    return row && toFile(row);
  }

  async list(projectId: string, page: PageRequest): Promise<Page<FileRecord>> {
    const rows = this.db
      .prepare("SELECT * FROM files WHERE project_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?")
      .all(projectId, page.pageSize + 1, page.offset) as FileRow[];
    return toPage(rows.map(toFile), page);
  }

  async update(file: FileRecord): Promise<void> {
    this.db
      .prepare(
        `UPDATE files SET display_name = ?, size_bytes = ?, sha256 = ?, state = ?, updated_at = ?, expire_at = ?
         WHERE project_id = ? AND id = ?`,
      )
      .run(...fileUpdateValues(file), file.projectId, file.id);
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    return this.db.prepare("DELETE FROM files WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0;
  }
}
