import type { Batch, BatchLine } from "../../core/batches.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { batchParams, HIDDEN_BATCH_STATE, toBatch, type BatchRow } from "../rows.js";
import type { BatchStore } from "../store.js";
import { insertLines } from "./batch-lines.js";
import { ms, optMs, type PgExecutor } from "./executor.js";

export class PgBatches implements BatchStore {
  constructor(private readonly db: PgExecutor) {}

  /** The batch and its lines commit together. */
  insert(batch: Batch, lines: readonly BatchLine[]): Promise<void> {
    return this.db.atomically((db) => this.insertWith(db, batch, lines));
  }

  async insertHidden(batch: Batch): Promise<void> {
    await this.insertRow(this.db, batchParams(batch, HIDDEN_BATCH_STATE));
  }

  private async insertWith(db: PgExecutor, batch: Batch, lines: readonly BatchLine[]): Promise<void> {
    await this.insertRow(db, batchParams(batch));
    await insertLines(db, batch.id, lines);
  }

  private async insertRow(db: PgExecutor, p: ReturnType<typeof batchParams>): Promise<void> {
    await db.query(
      `INSERT INTO batches (id, project_id, display_name, model, state, input_file, request_count, successful_request_count,
       failed_request_count, webhook_config, output_file, error, deadline_at, created_at, updated_at, ended_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        p.id,
        p.project_id,
        p.display_name,
        p.model,
        p.state,
        p.input_file,
        p.request_count,
        p.successful_request_count,
        p.failed_request_count,
        p.webhook_config,
        p.output_file,
        p.error,
        ms(p.deadline_at),
        ms(p.created_at),
        ms(p.updated_at),
        optMs(p.ended_at ?? undefined),
      ],
    );
  }

  async reveal(batchId: string, now: number): Promise<Batch | undefined> {
    const row = await this.db.first<BatchRow>(
      `UPDATE batches SET state = 'BATCH_STATE_PENDING', updated_at = $2 WHERE id = $1 AND state = '${HIDDEN_BATCH_STATE}' RETURNING *`,
      [batchId, ms(now)],
    );
    return row && toBatch(row);
  }

  discardHidden(batchId: string, maxLines: number): Promise<boolean> {
    return this.db.atomically(async (db) => {
      if (
        (await db.first(`SELECT 1 FROM batches WHERE id = $1 AND state = '${HIDDEN_BATCH_STATE}' FOR UPDATE`, [
          batchId,
        ])) === undefined
      )
        return true;
      const deleted = await db.count(
        "DELETE FROM batch_lines WHERE batch_id = $1 AND line_index IN (SELECT line_index FROM batch_lines WHERE batch_id = $1 LIMIT $2)",
        [batchId, maxLines],
      );
      if (deleted === maxLines) return false;
      await db.query("DELETE FROM batches WHERE id = $1", [batchId]);
      return true;
    });
  }

  async listHidden(createdBefore: number, limit: number): Promise<string[]> {
    const rows = await this.db.all<{ id: string }>(
      `SELECT id FROM batches WHERE state = '${HIDDEN_BATCH_STATE}' AND created_at < $1 ORDER BY created_at LIMIT $2`,
      [ms(createdBefore), limit],
    );
    return rows.map((row) => row.id);
  }

  async get(projectId: string, id: string): Promise<Batch | undefined> {
    const row = await this.db.first<BatchRow>(
      `SELECT * FROM batches WHERE project_id = $1 AND id = $2 AND state <> '${HIDDEN_BATCH_STATE}'`,
      [projectId, id],
    );
    return row && toBatch(row);
  }

  async getForUpdate(projectId: string, id: string): Promise<Batch | undefined> {
    const row = await this.db.first<BatchRow>(
      `SELECT * FROM batches WHERE project_id = $1 AND id = $2 AND state <> '${HIDDEN_BATCH_STATE}' FOR UPDATE`,
      [projectId, id],
    );
    return row && toBatch(row);
  }

  async getMany(projectId: string, ids: readonly string[]): Promise<Batch[]> {
    if (ids.length === 0) return [];
    return (
      await this.db.all<BatchRow>(
        `SELECT * FROM batches WHERE project_id = $1 AND id = ANY($2::text[]) AND state <> '${HIDDEN_BATCH_STATE}'`,
        [projectId, [...ids]],
      )
    ).map(toBatch);
  }

  async list(projectId: string, page: PageRequest): Promise<Page<Batch>> {
    const rows = await this.db.all<BatchRow>(
      `SELECT * FROM batches WHERE project_id = $1 AND state <> '${HIDDEN_BATCH_STATE}' ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [projectId, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toBatch), page);
  }

  async update(batch: Batch): Promise<void> {
    const p = batchParams(batch);
    await this.db.query(
      "UPDATE batches SET state = $2, output_file = $3, error = $4, updated_at = $5, ended_at = $6, lease_until = NULL WHERE id = $1",
      [p.id, p.state, p.output_file, p.error, ms(p.updated_at), optMs(batch.endedAt)],
    );
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    return (
      (await this.db.count(
        `DELETE FROM batches WHERE project_id = $1 AND id = $2 AND state <> '${HIDDEN_BATCH_STATE}'`,
        [projectId, id],
      )) > 0
    );
  }

  async claim(now: number, leaseUntil: number): Promise<Batch | undefined> {
    const row = await this.db.first<BatchRow>(
      `UPDATE batches SET state = 'BATCH_STATE_RUNNING', lease_until = $2, updated_at = $1
       WHERE id = (SELECT id FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')
                   AND (lease_until IS NULL OR lease_until < $1) AND deadline_at > $1 ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [ms(now), ms(leaseUntil)],
    );
    return row && toBatch(row);
  }

  async renewLease(id: string, leaseUntil: number): Promise<boolean> {
    return (
      (await this.db.count(
        "UPDATE batches SET lease_until = $2 WHERE id = $1 AND state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')",
        [id, ms(leaseUntil)],
      )) > 0
    );
  }

  releaseAll(): Promise<number> {
    return this.db.count("UPDATE batches SET lease_until = NULL WHERE lease_until IS NOT NULL");
  }

  async listExpired(now: number, limit: number): Promise<Batch[]> {
    const rows = await this.db.all<BatchRow>(
      "SELECT * FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2",
      [ms(now), limit],
    );
    return rows.map(toBatch);
  }

  nextDeadlineAt(): Promise<number | undefined> {
    return this.db.minimum(
      "SELECT MIN(deadline_at) AS at FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')",
    );
  }
}
