import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import type { SqlDb } from "./db.js";

/** A table whose rows belong to a project and are named by an id within it, and how a row reads back. */
export interface ProjectTableOf<Row, T> {
  table: string;
  toItem: (row: Row) => T;
  /** A condition every read and delete adds: rows it leaves out are not there yet (a batch being created). */
  visible?: string;
  /** Pages list the newest rows first, not the oldest. */
  newestFirst?: boolean;
}

/**
 * The reads and the delete of such a table (files, operations, batches, interactions, videos): one set of
 * statements for all of them, which their stores extend.
 */
export class ProjectTable<Row, T> {
  private readonly visible: string;

  constructor(
    protected readonly db: SqlDb,
    private readonly of: ProjectTableOf<Row, T>,
  ) {
    this.visible = of.visible === undefined ? "" : ` AND ${of.visible}`;
  }

  get(projectId: string, id: string): Promise<T | undefined> {
    return this.read(projectId, id, "");
  }

  /** Locked until the transaction ends (Dialect.forUpdate): a second writer waits, then sees the first's outcome. */
  getForUpdate(projectId: string, id: string): Promise<T | undefined> {
    return this.read(projectId, id, this.db.dialect.forUpdate);
  }

  async getMany(projectId: string, ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.all<Row>(
      `SELECT * FROM ${this.of.table} WHERE project_id = :projectId AND ${this.db.dialect.inList("id", "ids", "text")}${this.visible}`,
      { projectId, ids },
    );
    return rows.map(this.of.toItem);
  }

  /** A page in the order the rows were made. */
  async list(projectId: string, page: PageRequest): Promise<Page<T>> {
    const order = this.of.newestFirst === true ? "created_at DESC, id DESC" : "created_at, id";
    const rows = await this.db.all<Row>(
      `SELECT * FROM ${this.of.table} WHERE project_id = :projectId${this.visible} ORDER BY ${order} LIMIT :limit OFFSET :offset`,
      { projectId, limit: page.pageSize + 1, offset: page.offset },
    );
    return toPage(rows.map(this.of.toItem), page);
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    const deleted = await this.db.run(
      `DELETE FROM ${this.of.table} WHERE project_id = :projectId AND id = :id${this.visible}`,
      { projectId, id },
    );
    return deleted > 0;
  }

  private async read(projectId: string, id: string, lock: string): Promise<T | undefined> {
    const row = await this.db.first<Row>(
      `SELECT * FROM ${this.of.table} WHERE project_id = :projectId AND id = :id${this.visible} ${lock}`,
      { projectId, id },
    );
    return row && this.of.toItem(row);
  }
}
