import type { Batch, BatchLine } from "../../core/batches.js";
import { batchParams, HIDDEN_BATCH_STATE, toBatch, type BatchRow } from "../rows.js";
import type { BatchStore } from "../store.js";
import type { BatchLineWrites } from "./batch-lines.js";
import { insertRow, ms, optNum, type SqlDb } from "./db.js";
import { LeasedTable } from "./leased-table.js";
import { HIDDEN_BATCH, PENDING_BATCH, RUNNING_BATCH, UNFINISHED_BATCHES } from "./states.js";

export class SqlBatches extends LeasedTable<BatchRow, Batch> implements BatchStore {
  constructor(
    db: SqlDb,
    private readonly lines: BatchLineWrites,
  ) {
    super(
      db,
      { table: "batches", toItem: toBatch, visible: `state <> ${HIDDEN_BATCH}` },
      {
        renewable: `state IN ${UNFINISHED_BATCHES}`,
        runnable: "deadline_at > :now",
        onClaim: `state = ${RUNNING_BATCH}, updated_at = :now`,
      },
    );
  }

  /** The batch and its lines commit together. */
  insert(batch: Batch, lines: readonly BatchLine[]): Promise<void> {
    return this.db.atomically(async (db) => {
      await insertRow(db, "batches", batchParams(batch));
      await this.lines.insert(db, batch.id, lines);
    });
  }

  async insertHidden(batch: Batch): Promise<void> {
    await insertRow(this.db, "batches", batchParams(batch, HIDDEN_BATCH_STATE));
  }

  async reveal(batchId: string, now: number): Promise<Batch | undefined> {
    const row = await this.db.first<BatchRow>(
      `UPDATE batches SET state = ${PENDING_BATCH}, updated_at = :now WHERE id = :batchId AND state = ${HIDDEN_BATCH}
       RETURNING *`,
      { batchId, now: ms(now) },
    );
    return row && toBatch(row);
  }

  discardHidden(batchId: string, maxLines: number): Promise<boolean> {
    return this.db.atomically(async (db) => {
      const hidden = await db.first(
        `SELECT 1 AS hidden FROM batches WHERE id = :batchId AND state = ${HIDDEN_BATCH} ${db.dialect.forUpdate}`,
        { batchId },
      );
      if (hidden === undefined) return true;
      const deleted = await db.run(
        `DELETE FROM batch_lines WHERE batch_id = :batchId
         AND line_index IN (SELECT line_index FROM batch_lines WHERE batch_id = :batchId LIMIT :maxLines)`,
        { batchId, maxLines },
      );
      if (deleted === maxLines) return false;
      await db.run("DELETE FROM batches WHERE id = :batchId", { batchId });
      return true;
    });
  }

  async listHidden(createdBefore: number, limit: number): Promise<string[]> {
    const rows = await this.db.all<{ id: string }>(
      `SELECT id FROM batches WHERE state = ${HIDDEN_BATCH} AND created_at < :createdBefore ORDER BY created_at LIMIT :limit`,
      { createdBefore: ms(createdBefore), limit },
    );
    return rows.map((row) => row.id);
  }

  async update(batch: Batch): Promise<void> {
    await this.db.run(
      `UPDATE batches SET state = :state, output_file = :output_file, error = :error, updated_at = :updated_at,
       ended_at = :ended_at, lease_until = NULL WHERE id = :id`,
      batchParams(batch),
    );
  }

  async listExpired(now: number, limit: number): Promise<Batch[]> {
    const rows = await this.db.all<BatchRow>(
      `SELECT * FROM batches WHERE state IN ${UNFINISHED_BATCHES} AND deadline_at <= :now ORDER BY deadline_at LIMIT :limit`,
      { now: ms(now), limit },
    );
    return rows.map(toBatch);
  }

  async nextDeadlineAt(): Promise<number | undefined> {
    const row = await this.db.first<{ at: number | string | null }>(
      `SELECT MIN(deadline_at) AS at FROM batches WHERE state IN ${UNFINISHED_BATCHES}`,
    );
    return optNum(row?.at);
  }
}
