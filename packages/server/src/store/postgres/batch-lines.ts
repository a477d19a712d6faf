import type { BatchLineWrites } from "../sql/batch-lines.js";
import { ms } from "../sql/db.js";

/** Lines go in with one UNNEST per this many, instead of a round trip per line. */
const LINE_CHUNK = 5000;

/** PostgreSQL's: a chunk of lines per statement, and settling as one statement (each is a round trip). */
export const postgresBatchLineWrites: BatchLineWrites = {
  async insert(db, batchId, lines) {
    for (let i = 0; i < lines.length; i += LINE_CHUNK) {
      const chunk = lines.slice(i, i + LINE_CHUNK);
      await db.run(
        `INSERT INTO batch_lines (batch_id, line_index, key, request, state, result)
         SELECT :batchId, * FROM UNNEST(:indexes::int[], :keys::text[], :requests::text[], :states::text[], :results::text[])`,
        {
          batchId,
          indexes: chunk.map((l) => l.index),
          keys: chunk.map((l) => l.key),
          requests: chunk.map((l) => l.request ?? null),
          states: chunk.map((l) => l.state),
          results: chunk.map((l) => l.result ?? null),
        },
      );
    }
  },

  /** One statement: settles the lines still pending and bumps the counters by what it settled. */
  async record(db, batchId, lines, now) {
    await db.run(
      `WITH settled AS (
         UPDATE batch_lines b SET state = v.state, result = v.result
         FROM UNNEST(:indexes::int[], :states::text[], :results::text[]) AS v(line_index, state, result)
         WHERE b.batch_id = :batchId AND b.line_index = v.line_index AND b.state = 'pending'
         RETURNING b.state
       )
       UPDATE batches SET
         successful_request_count = successful_request_count + (SELECT count(*) FROM settled WHERE state = 'succeeded'),
         failed_request_count = failed_request_count + (SELECT count(*) FROM settled WHERE state <> 'succeeded'),
         updated_at = :now
       WHERE id = :batchId`,
      {
        batchId,
        indexes: lines.map((l) => l.index),
        states: lines.map((l) => l.state),
        results: lines.map((l) => l.result ?? null),
        now: ms(now),
      },
    );
  },
};
