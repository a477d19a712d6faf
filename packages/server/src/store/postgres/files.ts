import type { FileRecord } from "../../core/files.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { FILE_COLUMNS, fileUpdateValues, fileValues, toFile, type FileRow } from "../file-rows.js";
import type { FileStore } from "../store.js";
import type { PgExecutor } from "./executor.js";

export class PgFiles implements FileStore {
  constructor(private readonly db: PgExecutor) {}

  async insert(file: FileRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO files (${FILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      fileValues(file),
    );
  }

  async get(projectId: string, id: string): Promise<FileRecord | undefined> {
    const row = await this.db.first<FileRow>("SELECT * FROM files WHERE project_id = $1 AND id = $2", [projectId, id]);
    return row && toFile(row);
  }

  async list(projectId: string, page: PageRequest): Promise<Page<FileRecord>> {
    const rows = await this.db.all<FileRow>(
      "SELECT * FROM files WHERE project_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
      [projectId, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toFile), page);
  }

  async update(file: FileRecord): Promise<void> {
    await this.db.query(
      `UPDATE files SET display_name = $1, size_bytes = $2, sha256 = $3, state = $4, updated_at = $5, expire_at = $6
       WHERE project_id = $7 AND id = $8`,
      [...fileUpdateValues(file), file.projectId, file.id],
    );
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    return (await this.db.count("DELETE FROM files WHERE project_id = $1 AND id = $2", [projectId, id])) > 0;
  }

  async totalBytes(projectId: string): Promise<number> {
    return Number(
      (
        await this.db.first<{ n: string }>(
          "SELECT COALESCE(SUM(size_bytes), 0) AS n FROM files WHERE project_id = $1",
          [projectId],
        )
      )?.n ?? 0,
    );
  }
}
