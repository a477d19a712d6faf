import type { Batch, BatchLine } from "../../core/batches.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { batchParams, HIDDEN_BATCH_STATE, toBatch, type BatchRow } from "../rows.js";
import type { BatchStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";
import { insertLines } from "./batch-lines.js";

export class SqliteBatches extends SqliteAggregate implements BatchStore {
  /**
   * The lines go in chunks that let the event loop turn (insertLines), all in one transaction: the caller's, or its
   * own.
   */
  insert(batch: Batch, lines: readonly BatchLine[]): Promise<void> {
    const work = async () => {
      this.insertRow(batchParams(batch));
      await insertLines((sql) => this.statement(sql), batch.id, lines);
    };
    return this.runner.inTransaction ? work() : this.runner.connection.transaction(work);
  }

  insertHidden(batch: Batch): Promise<void> {
    return this.run(() => this.insertRow(batchParams(batch, HIDDEN_BATCH_STATE)));
  }

  private insertRow(params: ReturnType<typeof batchParams>): void {
    this.statement(
      `INSERT INTO batches (id, project_id, display_name, model, state, input_file, request_count, successful_request_count,
       failed_request_count, webhook_config, output_file, error, deadline_at, created_at, updated_at, ended_at)
       VALUES (@id, @project_id, @display_name, @model, @state, @input_file, @request_count, @successful_request_count,
       @failed_request_count, @webhook_config, @output_file, @error, @deadline_at, @created_at, @updated_at, @ended_at)`,
    ).run(params);
  }

  reveal(batchId: string, now: number): Promise<Batch | undefined> {
    return this.run(() => {
      const row = this.statement(
        `UPDATE batches SET state = 'BATCH_STATE_PENDING', updated_at = ? WHERE id = ? AND state = '${HIDDEN_BATCH_STATE}' RETURNING *`,
      ).get(now, batchId) as BatchRow | undefined;
      return row && toBatch(row);
    });
  }

  discardHidden(batchId: string, maxLines: number): Promise<boolean> {
    return this.atomically(() => {
      if (
        this.statement(`SELECT 1 FROM batches WHERE id = ? AND state = '${HIDDEN_BATCH_STATE}'`).get(batchId) ===
        undefined
      )
        return true;
      const deleted = this.statement(
        "DELETE FROM batch_lines WHERE batch_id = ? AND line_index IN (SELECT line_index FROM batch_lines WHERE batch_id = ? LIMIT ?)",
      ).run(batchId, batchId, maxLines).changes;
      if (deleted === maxLines) return false;
      this.statement("DELETE FROM batches WHERE id = ?").run(batchId);
      return true;
    });
  }

  listHidden(createdBefore: number, limit: number): Promise<string[]> {
    return this.run(() =>
      (
        this.statement(
          `SELECT id FROM batches WHERE state = '${HIDDEN_BATCH_STATE}' AND created_at < ? ORDER BY created_at LIMIT ?`,
        ).all(createdBefore, limit) as {
          id: string;
        }[]
      ).map((row) => row.id),
    );
  }

  get(projectId: string, id: string): Promise<Batch | undefined> {
    return this.run(() => {
      const row = this.statement(
        `SELECT * FROM batches WHERE project_id = ? AND id = ? AND state <> '${HIDDEN_BATCH_STATE}'`,
      ).get(projectId, id) as BatchRow | undefined;
      return row && toBatch(row);
    });
  }

  /** BEGIN IMMEDIATE already holds the database's write lock: a plain read is a locked read. */
  getForUpdate(projectId: string, id: string): Promise<Batch | undefined> {
    return this.get(projectId, id);
  }

  getMany(projectId: string, ids: readonly string[]): Promise<Batch[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.run(() =>
      (
        this.statement(
          `SELECT * FROM batches WHERE project_id = ? AND id IN (SELECT value FROM json_each(?)) AND state <> '${HIDDEN_BATCH_STATE}'`,
        ).all(projectId, JSON.stringify(ids)) as BatchRow[]
      ).map(toBatch),
    );
  }

  list(projectId: string, page: PageRequest): Promise<Page<Batch>> {
    return this.run(() => {
      const rows = this.statement(
        `SELECT * FROM batches WHERE project_id = ? AND state <> '${HIDDEN_BATCH_STATE}' ORDER BY created_at, id LIMIT ? OFFSET ?`,
      ).all(projectId, page.pageSize + 1, page.offset) as BatchRow[];
      return toPage(rows.map(toBatch), page);
    });
  }

  update(batch: Batch): Promise<void> {
    return this.run(() => {
      this.statement(
        `UPDATE batches SET state = @state, output_file = @output_file, error = @error, updated_at = @updated_at,
         ended_at = @ended_at, lease_until = NULL WHERE id = @id`,
      ).run(batchParams(batch));
    });
  }

  delete(projectId: string, id: string): Promise<boolean> {
    return this.run(
      () =>
        this.statement(`DELETE FROM batches WHERE project_id = ? AND id = ? AND state <> '${HIDDEN_BATCH_STATE}'`).run(
          projectId,
          id,
        ).changes > 0,
    );
  }

  claim(now: number, leaseUntil: number): Promise<Batch | undefined> {
    return this.atomically(() => {
      const row = this.statement(
        `SELECT * FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')
         AND (lease_until IS NULL OR lease_until < ?) AND deadline_at > ? ORDER BY created_at LIMIT 1`,
      ).get(now, now) as BatchRow | undefined;
      if (!row) return undefined;
      this.statement(
        "UPDATE batches SET state = 'BATCH_STATE_RUNNING', lease_until = ?, updated_at = ? WHERE id = ?",
      ).run(leaseUntil, now, row.id);
      return { ...toBatch(row), state: "BATCH_STATE_RUNNING" as const, updatedAt: now };
    });
  }

  renewLease(id: string, leaseUntil: number): Promise<boolean> {
    return this.run(
      () =>
        this.statement(
          "UPDATE batches SET lease_until = ? WHERE id = ? AND state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')",
        ).run(leaseUntil, id).changes > 0,
    );
  }

  releaseAll(): Promise<number> {
    return this.run(
      () => this.statement("UPDATE batches SET lease_until = NULL WHERE lease_until IS NOT NULL").run().changes,
    );
  }

  listExpired(now: number, limit: number): Promise<Batch[]> {
    return this.run(() =>
      (
        this.statement(
          `SELECT * FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') AND deadline_at <= ?
           ORDER BY deadline_at LIMIT ?`,
        ).all(now, limit) as BatchRow[]
      ).map(toBatch),
    );
  }

  nextDeadlineAt(): Promise<number | undefined> {
    return this.run(
      () =>
        (
          this.statement(
            "SELECT MIN(deadline_at) AS at FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')",
          ).get() as {
            at: number | null;
          }
        ).at ?? undefined,
    );
  }
}
