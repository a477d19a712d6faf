import type { Operation, OperationFilter, OperationRef } from "../../core/operations.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { jsonOrNull, operationParams, toOperation, type OperationRow } from "../rows.js";
import type { OperationEndingRef, OperationStore } from "../store.js";
import { type Column, insertRow, ms, optNum, type SqlDb } from "./db.js";
import { ProjectTable } from "./project-table.js";
import { HIDDEN_BATCH, RUNNING_OPERATION, UNFINISHED_BATCHES, UNFINISHED_VIDEOS } from "./states.js";

/** What `endMany` writes, after the id and the project. */
const ENDING: readonly Column[] = [
  { name: "state", type: "text" },
  { name: "response", type: "text" },
  { name: "output_file_uri", type: "text" },
  { name: "error", type: "text" },
  { name: "updated_at", type: "bigint" },
];

export class SqlOperations extends ProjectTable<OperationRow, Operation> implements OperationStore {
  constructor(db: SqlDb) {
    super(db, { table: "operations", toItem: toOperation });
  }

  async insert(o: Operation): Promise<void> {
    await insertRow(this.db, "operations", operationParams(o));
  }

  /**
   * Locked (Dialect.forUpdate): two processes ending one operation serialise here, and the second sees the first's
   * outcome. Locked in id order, so that two batches sharing operations cannot deadlock. Ids are unique across
   * projects, so a row is read by its id and kept if its project is the one asked for.
   */
  async getManyForUpdate(refs: readonly { projectId: string; id: string }[]): Promise<Operation[]> {
    if (refs.length === 0) return [];
    const rows = await this.db.all<OperationRow>(
      `SELECT * FROM operations WHERE ${this.db.dialect.inList("id", "ids", "text")} ORDER BY id ${this.db.dialect.forUpdate}`,
      { ids: refs.map((r) => r.id) },
    );
    const asked = new Set(refs.map((r) => `${r.projectId}/${r.id}`));
    return rows.filter((r) => asked.has(`${r.project_id}/${r.id}`)).map(toOperation);
  }

  /**
   * One statement for any number (SqlDb.updateRows): the finding, the check that the operation still runs and the
   * write are the same statement, and the rows come back as they now are. Locked in id order, as getManyForUpdate.
   */
  async endMany(endings: readonly OperationEndingRef[]): Promise<Operation[]> {
    const rows = await this.db.updateRows<OperationRow>({
      table: "operations",
      key: { name: "id", type: "text" },
      match: [{ name: "project_id", type: "text" }],
      columns: ENDING,
      rows: endings.map(({ projectId, id, ending }) => [
        id,
        projectId,
        ending.state,
        jsonOrNull(ending.response),
        ending.outputFileUri ?? null,
        jsonOrNull(ending.error),
        ms(ending.updatedAt),
      ]),
      where: `operations.state = ${RUNNING_OPERATION}`,
      returning: "row",
      lockInKeyOrder: true,
    });
    return rows.map(toOperation);
  }

  async listAllKinds(projectId: string, filter: OperationFilter, page: PageRequest): Promise<Page<OperationRef>> {
    const rows = await this.db.all<OperationRef>(
      `SELECT kind, id FROM (
         SELECT 'custom' AS kind, id, created_at, type, state <> ${RUNNING_OPERATION} AS done FROM operations WHERE project_id = :projectId
         UNION ALL
         SELECT 'batch', id, created_at, NULL, state NOT IN ${UNFINISHED_BATCHES} FROM batches WHERE project_id = :projectId AND state <> ${HIDDEN_BATCH}
         UNION ALL
         SELECT 'video', id, created_at, NULL, state NOT IN ${UNFINISHED_VIDEOS} FROM video_operations WHERE project_id = :projectId
       ) listed
       WHERE (CAST(:kind AS TEXT) IS NULL OR kind = :kind) AND (CAST(:done AS BOOLEAN) IS NULL OR done = :done)
         AND (CAST(:type AS TEXT) IS NULL OR type = :type)
       ORDER BY created_at, id LIMIT :limit OFFSET :offset`,
      {
        projectId,
        kind: filter.kind ?? null,
        done: filter.done ?? null,
        type: filter.type ?? null,
        limit: page.pageSize + 1,
        offset: page.offset,
      },
    );
    return toPage(rows, page);
  }

  async listExpired(now: number, limit: number): Promise<Operation[]> {
    const rows = await this.db.all<OperationRow>(
      `SELECT * FROM operations WHERE state = ${RUNNING_OPERATION} AND expire_at IS NOT NULL AND expire_at <= :now
       ORDER BY expire_at LIMIT :limit`,
      { now: ms(now), limit },
    );
    return rows.map(toOperation);
  }

  async nextExpireAt(): Promise<number | undefined> {
    const row = await this.db.first<{ at: number | string | null }>(
      `SELECT MIN(expire_at) AS at FROM operations WHERE state = ${RUNNING_OPERATION} AND expire_at IS NOT NULL`,
    );
    return optNum(row?.at);
  }
}
