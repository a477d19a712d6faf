import type { Operation, OperationFilter, OperationRef } from "../../core/operations.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { HIDDEN_BATCH_STATE, operationParams, toOperation, type OperationRow } from "../rows.js";
import type { OperationStore } from "../store.js";
import { ms, optMs, type PgExecutor } from "./executor.js";

export class PgOperations implements OperationStore {
  constructor(private readonly db: PgExecutor) {}

  async insert(o: Operation): Promise<void> {
    const p = operationParams(o);
    await this.db.query(
      `INSERT INTO operations (id, project_id, type, state, metadata, webhook_config, response, output_file_uri, error, expire_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        p.id,
        p.project_id,
        p.type,
        p.state,
        p.metadata,
        p.webhook_config,
        p.response,
        p.output_file_uri,
        p.error,
        optMs(o.expireAt),
        ms(p.created_at),
        ms(p.updated_at),
      ],
    );
  }

  async get(projectId: string, id: string): Promise<Operation | undefined> {
    const row = await this.db.first<OperationRow>("SELECT * FROM operations WHERE project_id = $1 AND id = $2", [
      projectId,
      id,
    ]);
    return row && toOperation(row);
  }

  async getMany(projectId: string, ids: readonly string[]): Promise<Operation[]> {
    if (ids.length === 0) return [];
    return (
      await this.db.all<OperationRow>("SELECT * FROM operations WHERE project_id = $1 AND id = ANY($2::text[])", [
        projectId,
        [...ids],
      ])
    ).map(toOperation);
  }

  /**
   * FOR UPDATE: two processes ending one operation serialise here, and the second sees the first's outcome.
   * Locked in id order, so that two batches sharing operations cannot deadlock.
   */
  async getManyForUpdate(refs: readonly { projectId: string; id: string }[]): Promise<Operation[]> {
    if (refs.length === 0) return [];
    const rows = await this.db.all<OperationRow>(
      `SELECT o.* FROM operations o JOIN UNNEST($1::text[], $2::text[]) AS r(project_id, id) ON o.project_id = r.project_id AND o.id = r.id
       ORDER BY o.id FOR UPDATE OF o`,
      [refs.map((r) => r.projectId), refs.map((r) => r.id)],
    );
    return rows.map(toOperation);
  }

  /** One statement for any number. */
  async updateMany(operations: readonly Operation[]): Promise<void> {
    if (operations.length === 0) return;
    const rows = operations.map(operationParams);
    await this.db.query(
      `UPDATE operations o SET state = v.state, response = v.response, output_file_uri = v.output_file_uri, error = v.error, updated_at = v.updated_at
       FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS v(id, state, response, output_file_uri, error, updated_at)
       WHERE o.id = v.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.state),
        rows.map((r) => r.response),
        rows.map((r) => r.output_file_uri),
        rows.map((r) => r.error),
        rows.map((r) => ms(r.updated_at)),
      ],
    );
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    return (await this.db.count("DELETE FROM operations WHERE project_id = $1 AND id = $2", [projectId, id])) > 0;
  }

  async listAllKinds(projectId: string, filter: OperationFilter, page: PageRequest): Promise<Page<OperationRef>> {
    const rows = await this.db.all<OperationRef>(
      `SELECT kind, id FROM (
         SELECT 'custom' AS kind, id, created_at, type, state <> 'running' AS done FROM operations WHERE project_id = $1
         UNION ALL
         SELECT 'batch', id, created_at, NULL, state NOT IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') FROM batches WHERE project_id = $1 AND state <> '${HIDDEN_BATCH_STATE}'
         UNION ALL
         SELECT 'video', id, created_at, NULL, state NOT IN ('pending', 'running') FROM video_operations WHERE project_id = $1
       ) listed
       WHERE ($2::text IS NULL OR kind = $2) AND ($3::boolean IS NULL OR done = $3) AND ($4::text IS NULL OR type = $4)
       ORDER BY created_at, id LIMIT $5 OFFSET $6`,
      [projectId, filter.kind ?? null, filter.done ?? null, filter.type ?? null, page.pageSize + 1, page.offset],
    );
    return toPage(rows, page);
  }

  async listExpired(now: number, limit: number): Promise<Operation[]> {
    const rows = await this.db.all<OperationRow>(
      "SELECT * FROM operations WHERE state = 'running' AND expire_at IS NOT NULL AND expire_at <= $1 ORDER BY expire_at LIMIT $2",
      [ms(now), limit],
    );
    return rows.map(toOperation);
  }

  nextExpireAt(): Promise<number | undefined> {
    return this.db.minimum(
      "SELECT MIN(expire_at) AS at FROM operations WHERE state = 'running' AND expire_at IS NOT NULL",
    );
  }
}
