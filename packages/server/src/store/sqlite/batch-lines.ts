import type Database from "better-sqlite3";
import type { BatchLine } from "../../core/batches.js";
import { toBatchLine, type BatchLineRow } from "../rows.js";
import type { BatchLineStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

/** Lines inserted per synchronous step: about a millisecond of work. */
const LINE_CHUNK = 500;

export class SqliteBatchLines extends SqliteAggregate implements BatchLineStore {
  append(batchId: string, lines: readonly BatchLine[]): Promise<void> {
    const work = async () => {
      await insertLines((sql) => this.statement(sql), batchId, lines);
      this.statement(
        "UPDATE batches SET request_count = request_count + ?, failed_request_count = failed_request_count + ? WHERE id = ?",
      ).run(lines.length, lines.filter((line) => line.state === "failed").length, batchId);
    };
    return this.runner.inTransaction ? work() : this.runner.connection.transaction(work);
  }

  pending(batchId: string, limit: number): Promise<BatchLine[]> {
    return this.run(() =>
      (
        this.statement(
          "SELECT * FROM batch_lines WHERE batch_id = ? AND state = 'pending' ORDER BY line_index LIMIT ?",
        ).all(batchId, limit) as BatchLineRow[]
      ).map(toBatchLine),
    );
  }

  record(batchId: string, lines: readonly BatchLine[], now: number): Promise<void> {
    return this.atomically(() => {
      const settle = this.statement(
        "UPDATE batch_lines SET state = ?, result = ? WHERE batch_id = ? AND line_index = ? AND state = 'pending'",
      );
      let succeeded = 0;
      let failed = 0;
      for (const line of lines) {
        if (settle.run(line.state, line.result ?? null, batchId, line.index).changes === 0) continue;
        if (line.state === "succeeded") succeeded++;
        else failed++;
      }
      this.statement(
        `UPDATE batches SET successful_request_count = successful_request_count + ?, failed_request_count = failed_request_count + ?,
         updated_at = ? WHERE id = ?`,
      ).run(succeeded, failed, now, batchId);
    });
  }

  page(batchId: string, fromIndex: number, limit: number): Promise<BatchLine[]> {
    return this.run(() =>
      (
        this.statement(
          "SELECT line_index, key, NULL AS request, state, result FROM batch_lines WHERE batch_id = ? AND line_index >= ? ORDER BY line_index LIMIT ?",
        ).all(batchId, fromIndex, limit) as BatchLineRow[]
      ).map(toBatchLine),
    );
  }

  all(batchId: string): Promise<BatchLine[]> {
    return this.run(() =>
      (
        this.statement("SELECT * FROM batch_lines WHERE batch_id = ? ORDER BY line_index").all(
          batchId,
        ) as BatchLineRow[]
      ).map(toBatchLine),
    );
  }
}

/**
 * Inserts input lines in chunks, each a synchronous step, with a turn of the event loop between them: ten
 * thousand lines in one step blocked the server for tens of milliseconds. The caller holds the transaction.
 */
export async function insertLines(
  statement: (sql: string) => Database.Statement,
  batchId: string,
  lines: readonly BatchLine[],
): Promise<void> {
  const insert = statement(
    "INSERT INTO batch_lines (batch_id, line_index, key, request, state, result) VALUES (?, ?, ?, ?, ?, ?)",
  );
  for (let i = 0; i < lines.length; i += LINE_CHUNK) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const line of lines.slice(i, i + LINE_CHUNK))
      insert.run(batchId, line.index, line.key, line.request ?? null, line.state, line.result ?? null);
  }
}
