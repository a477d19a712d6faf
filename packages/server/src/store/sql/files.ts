import type { FileRecord } from "../../core/files.js";
import { fileParams, toFile, type FileRow } from "../file-rows.js";
import type { FileStore } from "../store.js";
import { insertRow, num, type SqlDb } from "./db.js";
import { ProjectTable } from "./project-table.js";

export class SqlFiles extends ProjectTable<FileRow, FileRecord> implements FileStore {
  constructor(db: SqlDb) {
    super(db, { table: "files", toItem: toFile });
  }

  async insert(file: FileRecord): Promise<void> {
    await insertRow(this.db, "files", fileParams(file));
  }

  async update(file: FileRecord): Promise<void> {
    await this.db.run(
      `UPDATE files SET display_name = :display_name, size_bytes = :size_bytes, sha256 = :sha256, state = :state,
       updated_at = :updated_at, expire_at = :expire_at WHERE project_id = :project_id AND id = :id`,
      fileParams(file),
    );
  }

  async totalBytes(projectId: string): Promise<number> {
    const row = await this.db.first<{ n: number | string }>(
      "SELECT COALESCE(SUM(size_bytes), 0) AS n FROM files WHERE project_id = :projectId",
      { projectId },
    );
    return num(row?.n ?? 0);
  }
}
