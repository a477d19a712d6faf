import type { BatchLineWrites } from "../sql/batch-lines.js";

/** Lines inserted per synchronous step: about a millisecond of work. */
const LINE_CHUNK = 500;

/**
 * SQLite's statements run synchronously, one line each: input lines go in chunks with a turn of the event loop
 * between them (ten thousand lines in one step blocked the server for tens of milliseconds), and a line settled
 * counts for the batch only if its update changed it.
 */
export const sqliteBatchLineWrites: BatchLineWrites = {
  async insert(db, batchId, lines) {
    for (let i = 0; i < lines.length; i += LINE_CHUNK) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const line of lines.slice(i, i + LINE_CHUNK))
        await db.run(
          `INSERT INTO batch_lines (batch_id, line_index, key, request, state, result)
           VALUES (:batchId, :index, :key, :request, :state, :result)`,
          { batchId, index: line.index, key: line.key, request: line.request, state: line.state, result: line.result },
        );
    }
  },

  record(db, batchId, lines, now) {
    return db.atomically(async (db) => {
      let succeeded = 0;
      let failed = 0;
      for (const line of lines) {
        const settled = await db.run(
          `UPDATE batch_lines SET state = :state, result = :result
           WHERE batch_id = :batchId AND line_index = :index AND state = 'pending'`,
          { batchId, index: line.index, state: line.state, result: line.result },
        );
        if (settled === 0) continue;
        if (line.state === "succeeded") succeeded++;
        else failed++;
      }
      await db.run(
        `UPDATE batches SET successful_request_count = successful_request_count + :succeeded,
         failed_request_count = failed_request_count + :failed, updated_at = :now WHERE id = :batchId`,
        { batchId, succeeded, failed, now },
      );
    });
  },
};
