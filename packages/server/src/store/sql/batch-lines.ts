import type { BatchLine } from "../../core/batches.js";
import { toBatchLine, type BatchLineRow } from "../rows.js";
import type { BatchLineStore } from "../store.js";
import type { SqlDb } from "./db.js";

/**
 * The writes of batch lines each driver does its own way (docs/store.md: statements written once): inserting many
 * lines, and settling many with the counters they add to.
 */
export interface BatchLineWrites {
  /** Inserts input lines; the caller holds the transaction. */
  insert(db: SqlDb, batchId: string, lines: readonly BatchLine[]): Promise<void>;
  /** Settles the lines still pending, and adds those it settled to the batch's counters. */
  record(db: SqlDb, batchId: string, lines: readonly BatchLine[], now: number): Promise<void>;
}

export class SqlBatchLines implements BatchLineStore {
  constructor(
    private readonly db: SqlDb,
    private readonly writes: BatchLineWrites,
  ) {}

  append(batchId: string, lines: readonly BatchLine[]): Promise<void> {
    return this.db.atomically(async (db) => {
      await this.writes.insert(db, batchId, lines);
      await db.run(
        `UPDATE batches SET request_count = request_count + :added, failed_request_count = failed_request_count + :failed
         WHERE id = :batchId`,
        { batchId, added: lines.length, failed: lines.filter((line) => line.state === "failed").length },
      );
    });
  }

  async pending(batchId: string, limit: number): Promise<BatchLine[]> {
    const rows = await this.db.all<BatchLineRow>(
      "SELECT * FROM batch_lines WHERE batch_id = :batchId AND state = 'pending' ORDER BY line_index LIMIT :limit",
      { batchId, limit },
    );
    return rows.map(toBatchLine);
  }

  record(batchId: string, lines: readonly BatchLine[], now: number): Promise<void> {
    return this.writes.record(this.db, batchId, lines, now);
  }

  async page(batchId: string, fromIndex: number, limit: number): Promise<BatchLine[]> {
    const rows = await this.db.all<BatchLineRow>(
      `SELECT line_index, key, NULL AS request, state, result FROM batch_lines WHERE batch_id = :batchId
       AND line_index >= :fromIndex ORDER BY line_index LIMIT :limit`,
      { batchId, fromIndex, limit },
    );
    return rows.map(toBatchLine);
  }

  async all(batchId: string): Promise<BatchLine[]> {
    const rows = await this.db.all<BatchLineRow>(
      "SELECT * FROM batch_lines WHERE batch_id = :batchId ORDER BY line_index",
      { batchId },
    );
    return rows.map(toBatchLine);
  }
}
