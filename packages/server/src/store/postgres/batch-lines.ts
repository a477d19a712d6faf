import type { BatchLine } from "../../core/batches.js";
import { toBatchLine, type BatchLineRow } from "../rows.js";
import type { BatchLineStore } from "../store.js";
import { ms, type PgExecutor } from "./executor.js";

/** Lines go in with one UNNEST per this many, instead of a round trip per line. */
const LINE_CHUNK = 5000;

export class PgBatchLines implements BatchLineStore {
  constructor(private readonly db: PgExecutor) {}

  append(batchId: string, lines: readonly BatchLine[]): Promise<void> {
    return this.db.atomically(async (db) => {
      await insertLines(db, batchId, lines);
      await db.query(
        "UPDATE batches SET request_count = request_count + $1, failed_request_count = failed_request_count + $2 WHERE id = $3",
        [lines.length, lines.filter((line) => line.state === "failed").length, batchId],
      );
    });
  }

  async pending(batchId: string, limit: number): Promise<BatchLine[]> {
    const rows = await this.db.all<BatchLineRow>(
      "SELECT * FROM batch_lines WHERE batch_id = $1 AND state = 'pending' ORDER BY line_index LIMIT $2",
      [batchId, limit],
    );
    return rows.map(toBatchLine);
  }

  /** One statement: settles the lines still pending and bumps the counters by what it settled. */
  async record(batchId: string, lines: readonly BatchLine[], now: number): Promise<void> {
    await this.db.query(
      `WITH settled AS (
         UPDATE batch_lines b SET state = v.state, result = v.result
         FROM UNNEST($2::int[], $3::text[], $4::text[]) AS v(line_index, state, result)
         WHERE b.batch_id = $1 AND b.line_index = v.line_index AND b.state = 'pending'
         RETURNING b.state
       )
       UPDATE batches SET
         successful_request_count = successful_request_count + (SELECT count(*) FROM settled WHERE state = 'succeeded'),
         failed_request_count = failed_request_count + (SELECT count(*) FROM settled WHERE state <> 'succeeded'),
         updated_at = $5
       WHERE id = $1`,
      [batchId, lines.map((l) => l.index), lines.map((l) => l.state), lines.map((l) => l.result ?? null), ms(now)],
    );
  }

  async page(batchId: string, fromIndex: number, limit: number): Promise<BatchLine[]> {
    return (
      await this.db.all<BatchLineRow>(
        "SELECT line_index, key, NULL AS request, state, result FROM batch_lines WHERE batch_id = $1 AND line_index >= $2 ORDER BY line_index LIMIT $3",
        [batchId, fromIndex, limit],
      )
    ).map(toBatchLine);
  }

  async all(batchId: string): Promise<BatchLine[]> {
    return (
      await this.db.all<BatchLineRow>("SELECT * FROM batch_lines WHERE batch_id = $1 ORDER BY line_index", [batchId])
    ).map(toBatchLine);
  }
}

/** Input lines, a chunk per statement; the caller holds the transaction. */
export async function insertLines(db: PgExecutor, batchId: string, lines: readonly BatchLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i += LINE_CHUNK) {
    const chunk = lines.slice(i, i + LINE_CHUNK);
    await db.query(
      `INSERT INTO batch_lines (batch_id, line_index, key, request, state, result)
       SELECT $1, * FROM UNNEST($2::int[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [
        batchId,
        chunk.map((l) => l.index),
        chunk.map((l) => l.key),
        chunk.map((l) => l.request ?? null),
        chunk.map((l) => l.state),
        chunk.map((l) => l.result ?? null),
      ],
    );
  }
}
