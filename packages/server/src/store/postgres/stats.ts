import { tallyAttempts } from "../../core/attempt-stats.js";
import type { Attempt, DeliverySettlement } from "../../core/deliveries.js";
import type { WebhookState } from "../../core/webhooks.js";
import type { MinuteTally, StatsStore, UnfinishedKind, WebhookLastError, WebhookTally } from "../store.js";
import { BUCKET_COLUMNS, SUM_TALLY, TALLY_COLUMNS, toTally } from "../tally-columns.js";
import type { PgExecutor } from "./executor.js";

/** pg returns COUNT and SUM of BIGINT as strings. */
type Counted<T> = Omit<T, "count"> & { count: string };
const counted = <T extends { count: number }>(rows: Counted<T>[]): T[] => rows.map((r) => ({ ...r, count: Number(r.count) }) as unknown as T);

export class PgStats implements StatsStore {
  constructor(private readonly db: PgExecutor) {}

  async byWebhook(projectId: string, webhookIds: readonly string[], sinceMinute: number, untilMinute: number): Promise<WebhookTally[]> {
    if (webhookIds.length === 0) return [];
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT webhook_key, ${SUM_TALLY} FROM attempt_minutes
       WHERE project_id = $1 AND webhook_key = ANY($2::text[]) AND minute >= $3 AND minute < $4 GROUP BY webhook_key`,
      [projectId, [...webhookIds], sinceMinute, untilMinute],
    );
    return rows.map((row) => ({ webhookId: row.webhook_key as string, ...toTally(row) }));
  }

  async byMinute(projectId: string, sinceMinute: number, untilMinute: number): Promise<MinuteTally[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT minute, ${SUM_TALLY} FROM attempt_minutes WHERE project_id = $1 AND minute >= $2 AND minute < $3 GROUP BY minute ORDER BY minute`,
      [projectId, sinceMinute, untilMinute],
    );
    return rows.map((row) => ({ minute: Number(row.minute), ...toTally(row) }));
  }

  async lastErrors(projectId: string, webhookIds: readonly string[]): Promise<WebhookLastError[]> {
    if (webhookIds.length === 0) return [];
    const rows = await this.db.all<{ webhookId: string; deliveryId: string; error: string; at: string }>(
      `SELECT webhook_id AS "webhookId", delivery_id AS "deliveryId", error, at FROM webhook_last_errors WHERE project_id = $1 AND webhook_id = ANY($2::text[])`,
      [projectId, [...webhookIds]],
    );
    return rows.map((r) => ({ ...r, at: Number(r.at) }));
  }

  async backlog(): Promise<{ pending: number; oldestCreatedAt?: number }> {
    const row = await this.db.first<{ pending: string; oldest: string | null }>(
      "SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM deliveries WHERE state = 'pending'",
    );
    return { pending: Number(row?.pending ?? 0), ...(row?.oldest != null ? { oldestCreatedAt: Number(row.oldest) } : {}) };
  }

  async webhookStates(): Promise<{ state: WebhookState; count: number }[]> {
    return counted(await this.db.all<Counted<{ state: WebhookState; count: number }>>("SELECT state, COUNT(*) AS count FROM webhooks GROUP BY state"));
  }

  async unfinishedOperations(): Promise<{ kind: UnfinishedKind; state: string; count: number }[]> {
    return counted(
      await this.db.all<Counted<{ kind: UnfinishedKind; state: string; count: number }>>(
        `SELECT 'custom' AS kind, state, COUNT(*) AS count FROM operations WHERE state = 'running' GROUP BY state
         UNION ALL
         SELECT 'batch', state, COUNT(*) FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') GROUP BY state
         UNION ALL
         SELECT 'video', state, COUNT(*) FROM video_operations WHERE state IN ('pending', 'running') GROUP BY state
         UNION ALL
         SELECT 'interaction', status, COUNT(*) FROM interactions WHERE status IN ('in_progress', 'requires_action') GROUP BY status`,
      ),
    );
  }

  async unfinishedBatchLines(): Promise<{ state: "pending" | "succeeded" | "failed"; count: number }[]> {
    const row = await this.db.first<{ pending: string; succeeded: string; failed: string }>(
      `SELECT COALESCE(SUM(request_count - successful_request_count - failed_request_count), 0) AS pending,
       COALESCE(SUM(successful_request_count), 0) AS succeeded, COALESCE(SUM(failed_request_count), 0) AS failed
       FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')`,
    );
    return [
      { state: "pending", count: Number(row?.pending ?? 0) },
      { state: "succeeded", count: Number(row?.succeeded ?? 0) },
      { state: "failed", count: Number(row?.failed ?? 0) },
    ];
  }
}

/**
 * Common table expressions for `settle`'s one statement (its WITH list, without the WITH), so the tallies
 * cost no round trip of their own: they count the attempts not written before (every part of one statement
 * sees the tables as they were before it, so a retried round counts nothing twice) in their minute, and keep
 * each webhook's latest failure. Rows are upserted in key order, so concurrent rounds lock alike.
 * Parameters start at `$first`.
 */
export function attemptTallies(attempts: readonly Attempt[], settlements: readonly DeliverySettlement[], first: number): { ctes: string; params: unknown[] } {
  const tallies = tallyAttempts(attempts, settlements);
  const p = (i: number) => `$${first + i}`;
  const ctes = `tally_input AS (
    SELECT * FROM UNNEST(${p(0)}::text[], ${p(1)}::int[], ${p(2)}::bigint[], ${p(3)}::text[], ${p(4)}::int[], ${p(5)}::text[], ${p(6)}::bigint[])
      AS t(delivery_id, attempt_number, minute, outcome, bucket, error, started_at)
  ), tally_new AS (
    SELECT t.*, d.project_id, d.webhook_id FROM tally_input t JOIN deliveries d ON d.id = t.delivery_id
    WHERE NOT EXISTS (SELECT 1 FROM attempts a WHERE a.delivery_id = t.delivery_id AND a.attempt_number = t.attempt_number)
  ), tallied AS (
    INSERT INTO attempt_minutes (project_id, webhook_key, minute, ${TALLY_COLUMNS.join(", ")})
    SELECT project_id, COALESCE(webhook_id, ''), minute,
      COUNT(*) FILTER (WHERE outcome = 'succeeded'), COUNT(*) FILTER (WHERE outcome = 'retrying'), COUNT(*) FILTER (WHERE outcome = 'failed'),
      ${BUCKET_COLUMNS.map((_, i) => `COUNT(*) FILTER (WHERE bucket = ${i})`).join(", ")}
    FROM tally_new GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (project_id, webhook_key, minute) DO UPDATE SET ${TALLY_COLUMNS.map((c) => `${c} = attempt_minutes.${c} + EXCLUDED.${c}`).join(", ")}
  ), last_errors AS (
    INSERT INTO webhook_last_errors (webhook_id, project_id, delivery_id, error, at)
    SELECT DISTINCT ON (webhook_id) webhook_id, project_id, delivery_id, error, started_at FROM tally_new
    WHERE webhook_id IS NOT NULL AND error IS NOT NULL ORDER BY webhook_id, started_at DESC
    ON CONFLICT (webhook_id) DO UPDATE SET project_id = EXCLUDED.project_id, delivery_id = EXCLUDED.delivery_id, error = EXCLUDED.error, at = EXCLUDED.at
    WHERE webhook_last_errors.at <= EXCLUDED.at
    RETURNING 1
  )`;
  return {
    ctes,
    params: [
      tallies.map((t) => t.deliveryId),
      tallies.map((t) => t.attemptNumber),
      tallies.map((t) => t.minute),
      tallies.map((t) => t.outcome),
      tallies.map((t) => t.bucket),
      tallies.map((t) => t.error ?? null),
      tallies.map((t) => Math.round(t.startedAt)),
    ],
  };
}
