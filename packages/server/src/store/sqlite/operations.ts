import type { Operation, OperationFilter, OperationRef } from "../../core/operations.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { HIDDEN_BATCH_STATE, operationParams, toOperation, type OperationRow } from "../rows.js";
import type { OperationStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteOperations extends SqliteAggregate implements OperationStore {
  insert(o: Operation): Promise<void> {
    return this.run(() => {
      this.statement(
        `INSERT INTO operations (id, project_id, type, state, metadata, webhook_config, response, output_file_uri, error, expire_at, created_at, updated_at)
         VALUES (@id, @project_id, @type, @state, @metadata, @webhook_config, @response, @output_file_uri, @error, @expire_at, @created_at, @updated_at)`,
      ).run(operationParams(o));
    });
  }

  get(projectId: string, id: string): Promise<Operation | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM operations WHERE project_id = ? AND id = ?").get(projectId, id) as
        | OperationRow
        | undefined;
      return row && toOperation(row);
    });
  }

  getMany(projectId: string, ids: readonly string[]): Promise<Operation[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.run(() =>
      (
        this.statement("SELECT * FROM operations WHERE project_id = ? AND id IN (SELECT value FROM json_each(?))").all(
          projectId,
          JSON.stringify(ids),
        ) as OperationRow[]
      ).map(toOperation),
    );
  }

  /** BEGIN IMMEDIATE already holds the database's write lock: a plain read is a locked read. */
  getManyForUpdate(refs: readonly { projectId: string; id: string }[]): Promise<Operation[]> {
    if (refs.length === 0) return Promise.resolve([]);
    return this.run(() =>
      (
        this.statement(
          `SELECT o.* FROM json_each(?) r JOIN operations o ON o.project_id = json_extract(r.value, '$.projectId') AND o.id = json_extract(r.value, '$.id')`,
        ).all(JSON.stringify(refs)) as OperationRow[]
      ).map(toOperation),
    );
  }

  updateMany(operations: readonly Operation[]): Promise<void> {
    return this.atomically(() => {
      const update = this.statement(
        `UPDATE operations SET state = @state, response = @response, output_file_uri = @output_file_uri, error = @error,
         updated_at = @updated_at WHERE id = @id`,
      );
      for (const o of operations) update.run(operationParams(o));
    });
  }

  delete(projectId: string, id: string): Promise<boolean> {
    return this.run(
      () => this.statement("DELETE FROM operations WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0,
    );
  }

  listAllKinds(projectId: string, filter: OperationFilter, page: PageRequest): Promise<Page<OperationRef>> {
    return this.run(() => {
      const rows = this.statement(
        `SELECT kind, id FROM (
           SELECT 'custom' AS kind, id, created_at, type, state <> 'running' AS done FROM operations WHERE project_id = @project_id
           UNION ALL
           SELECT 'batch', id, created_at, NULL, state NOT IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') FROM batches WHERE project_id = @project_id AND state <> '${HIDDEN_BATCH_STATE}'
           UNION ALL
           SELECT 'video', id, created_at, NULL, state NOT IN ('pending', 'running') FROM video_operations WHERE project_id = @project_id
         ) WHERE (@kind IS NULL OR kind = @kind) AND (@done IS NULL OR done = @done) AND (@type IS NULL OR type = @type)
         ORDER BY created_at, id LIMIT @limit OFFSET @offset`,
      ).all({
        project_id: projectId,
        kind: filter.kind ?? null,
        done: filter.done === undefined ? null : filter.done ? 1 : 0,
        type: filter.type ?? null,
        limit: page.pageSize + 1,
        offset: page.offset,
      }) as OperationRef[];
      return toPage(rows, page);
    });
  }

  listExpired(now: number, limit: number): Promise<Operation[]> {
    return this.run(() =>
      (
        this.statement(
          "SELECT * FROM operations WHERE state = 'running' AND expire_at IS NOT NULL AND expire_at <= ? ORDER BY expire_at LIMIT ?",
        ).all(now, limit) as OperationRow[]
      ).map(toOperation),
    );
  }

  nextExpireAt(): Promise<number | undefined> {
    return this.run(
      () =>
        (
          this.statement(
            "SELECT MIN(expire_at) AS at FROM operations WHERE state = 'running' AND expire_at IS NOT NULL",
          ).get() as { at: number | null }
        ).at ?? undefined,
    );
  }
}
