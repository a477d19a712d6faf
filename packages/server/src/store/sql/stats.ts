import type { WebhookState } from "../../core/webhooks.js";
import type { MinuteTally, StatsStore, UnfinishedKind, WebhookLastError, WebhookTally } from "../store.js";
import { SUM_TALLY, toTally } from "../tally-columns.js";
import { num, optNum, type SqlDb } from "./db.js";
import { RUNNING_OPERATION, UNFINISHED_BATCHES, UNFINISHED_INTERACTIONS, UNFINISHED_VIDEOS } from "./states.js";

/**
 * Counts for the dashboard and /metrics. The per-minute tallies are written by `deliveries.settle`, so every read
 * here costs what the time range holds, never the size of the history.
 */
export class SqlStats implements StatsStore {
  constructor(private readonly db: SqlDb) {}

  async byWebhook(
    projectId: string,
    webhookIds: readonly string[],
    sinceMinute: number,
    untilMinute: number,
  ): Promise<WebhookTally[]> {
    if (webhookIds.length === 0) return [];
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT webhook_key, ${SUM_TALLY} FROM attempt_minutes
       WHERE project_id = :projectId AND ${this.db.dialect.inList("webhook_key", "ids", "text")} AND minute >= :since AND minute < :until GROUP BY webhook_key`,
      { projectId, ids: [...webhookIds], since: sinceMinute, until: untilMinute },
    );
    return rows.map((row) => ({ webhookId: row.webhook_key as string, ...toTally(row) }));
  }

  async byMinute(projectId: string, sinceMinute: number, untilMinute: number): Promise<MinuteTally[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT minute, ${SUM_TALLY} FROM attempt_minutes WHERE project_id = :projectId AND minute >= :since AND minute < :until GROUP BY minute ORDER BY minute`,
      { projectId, since: sinceMinute, until: untilMinute },
    );
    return rows.map((row) => ({ minute: num(row.minute), ...toTally(row) }));
  }

  async lastErrors(projectId: string, webhookIds: readonly string[]): Promise<WebhookLastError[]> {
    if (webhookIds.length === 0) return [];
    const rows = await this.db.all<{ webhook_id: string; delivery_id: string; error: string; at: number | string }>(
      `SELECT webhook_id, delivery_id, error, at FROM webhook_last_errors WHERE project_id = :projectId AND ${this.db.dialect.inList("webhook_id", "ids", "text")}`,
      { projectId, ids: [...webhookIds] },
    );
    return rows.map((r) => ({ webhookId: r.webhook_id, deliveryId: r.delivery_id, error: r.error, at: num(r.at) }));
  }

  /**
   * Those waiting in the queue, and those born leased to an engine and not yet settled: the latter lie at or above
   * the lowest key any worker covers, so both are short reads (the queue's, and the newest deliveries').
   */
  async backlog(): Promise<{ pending: number; oldestCreatedAt?: number }> {
    const row = await this.db.first<{
      queued: number | string;
      held: number | string;
      oldest_queued: number | string | null;
      oldest_held: number | string | null;
    }>(
      `SELECT (SELECT COUNT(*) FROM delivery_queue) AS queued,
         (SELECT COUNT(*) FROM deliveries WHERE key >= (SELECT MIN(covered_from) FROM workers) AND locked_by IS NOT NULL AND state = 'pending') AS held,
         (SELECT d.created_at FROM delivery_queue q JOIN deliveries d ON d.key = q.delivery_key ORDER BY q.delivery_key LIMIT 1) AS oldest_queued,
         (SELECT MIN(created_at) FROM deliveries WHERE key >= (SELECT MIN(covered_from) FROM workers) AND locked_by IS NOT NULL AND state = 'pending') AS oldest_held`,
    );
    const oldest = [optNum(row?.oldest_queued), optNum(row?.oldest_held)].filter((t): t is number => t !== undefined);
    return {
      pending: num(row?.queued ?? 0) + num(row?.held ?? 0),
      ...(oldest.length > 0 ? { oldestCreatedAt: Math.min(...oldest) } : {}),
    };
  }

  async webhookStates(): Promise<{ state: WebhookState; count: number }[]> {
    const rows = await this.db.all<{ state: WebhookState; count: number | string }>(
      "SELECT state, COUNT(*) AS count FROM webhooks GROUP BY state",
    );
    return rows.map((r) => ({ state: r.state, count: num(r.count) }));
  }

  async unfinishedOperations(): Promise<{ kind: UnfinishedKind; state: string; count: number }[]> {
    const rows = await this.db.all<{ kind: UnfinishedKind; state: string; count: number | string }>(
      `SELECT 'custom' AS kind, state, COUNT(*) AS count FROM operations WHERE state = ${RUNNING_OPERATION} GROUP BY state
       UNION ALL
       SELECT 'batch', state, COUNT(*) FROM batches WHERE state IN ${UNFINISHED_BATCHES} GROUP BY state
       UNION ALL
       SELECT 'video', state, COUNT(*) FROM video_operations WHERE state IN ${UNFINISHED_VIDEOS} GROUP BY state
       UNION ALL
       SELECT 'interaction', status, COUNT(*) FROM interactions WHERE status IN ${UNFINISHED_INTERACTIONS} AND resumed_by IS NULL GROUP BY status`,
    );
    return rows.map((r) => ({ kind: r.kind, state: r.state, count: num(r.count) }));
  }

  async unfinishedBatchLines(): Promise<{ state: "pending" | "succeeded" | "failed"; count: number }[]> {
    const row = await this.db.first<{ pending: number | string; succeeded: number | string; failed: number | string }>(
      `SELECT COALESCE(SUM(request_count - successful_request_count - failed_request_count), 0) AS pending,
       COALESCE(SUM(successful_request_count), 0) AS succeeded, COALESCE(SUM(failed_request_count), 0) AS failed
       FROM batches WHERE state IN ${UNFINISHED_BATCHES}`,
    );
    return [
      { state: "pending", count: num(row?.pending ?? 0) },
      { state: "succeeded", count: num(row?.succeeded ?? 0) },
      { state: "failed", count: num(row?.failed ?? 0) },
    ];
  }
}
