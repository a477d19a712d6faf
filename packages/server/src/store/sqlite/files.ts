import type { FileRecord } from "../../core/files.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { FILE_COLUMNS, fileUpdateValues, fileValues, toFile, type FileRow } from "../file-rows.js";
import type { FileStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteFiles extends SqliteAggregate implements FileStore {
  insert(file: FileRecord): Promise<void> {
    return this.run(() => {
      this.statement(`INSERT INTO files (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        ...fileValues(file),
      );
    });
  }

  get(projectId: string, id: string): Promise<FileRecord | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM files WHERE project_id = ? AND id = ?").get(projectId, id) as
        | FileRow
        | undefined;
      return row && toFile(row);
    });
  }

  list(projectId: string, page: PageRequest): Promise<Page<FileRecord>> {
    return this.run(() => {
      const rows = this.statement(
        "SELECT * FROM files WHERE project_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?",
      ).all(projectId, page.pageSize + 1, page.offset) as FileRow[];
      return toPage(rows.map(toFile), page);
    });
  }

  update(file: FileRecord): Promise<void> {
    return this.run(() => {
      this.statement(
        `UPDATE files SET display_name = ?, size_bytes = ?, sha256 = ?, state = ?, updated_at = ?, expire_at = ?
         WHERE project_id = ? AND id = ?`,
      ).run(...fileUpdateValues(file), file.projectId, file.id);
    });
  }

  delete(projectId: string, id: string): Promise<boolean> {
    return this.run(
      () => this.statement("DELETE FROM files WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0,
    );
  }

  totalBytes(projectId: string): Promise<number> {
    return this.run(
      () =>
        (
          this.statement("SELECT COALESCE(SUM(size_bytes), 0) AS n FROM files WHERE project_id = ?").get(projectId) as {
            n: number;
          }
        ).n,
    );
  }
}
