import type Database from "better-sqlite3";
import { tallyAttempts } from "../../core/attempt-stats.js";
import type { Attempt, DeliverySettlement } from "../../core/deliveries.js";
import type { WebhookState } from "../../core/webhooks.js";
import type { MinuteTally, StatsStore, UnfinishedKind, WebhookLastError, WebhookTally } from "../store.js";
import { SUM_TALLY, TALLY_COLUMNS, tallyValues, toTally } from "../tally-columns.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteStats extends SqliteAggregate implements StatsStore {
  byWebhook(projectId: string, webhookIds: readonly string[], sinceMinute: number, untilMinute: number): Promise<WebhookTally[]> {
    if (webhookIds.length === 0) return Promise.resolve([]);
    return this.run(() =>
      (
        this.statement(
          `SELECT webhook_key, ${SUM_TALLY} FROM attempt_minutes
           WHERE project_id = ? AND webhook_key IN (SELECT value FROM json_each(?)) AND minute >= ? AND minute < ? GROUP BY webhook_key`,
        ).all(projectId, JSON.stringify(webhookIds), sinceMinute, untilMinute) as Record<string, unknown>[]
      ).map((row) => ({ webhookId: row.webhook_key as string, ...toTally(row) })),
    );
  }

  byMinute(projectId: string, sinceMinute: number, untilMinute: number): Promise<MinuteTally[]> {
    return this.run(() =>
      (
        this.statement(
          `SELECT minute, ${SUM_TALLY} FROM attempt_minutes WHERE project_id = ? AND minute >= ? AND minute < ? GROUP BY minute ORDER BY minute`,
        ).all(projectId, sinceMinute, untilMinute) as Record<string, unknown>[]
      ).map((row) => ({ minute: row.minute as number, ...toTally(row) })),
    );
  }

  lastErrors(projectId: string, webhookIds: readonly string[]): Promise<WebhookLastError[]> {
    if (webhookIds.length === 0) return Promise.resolve([]);
    return this.run(
      () =>
        this.statement(
          `SELECT webhook_id AS webhookId, delivery_id AS deliveryId, error, at FROM webhook_last_errors
           WHERE project_id = ? AND webhook_id IN (SELECT value FROM json_each(?))`,
        ).all(projectId, JSON.stringify(webhookIds)) as WebhookLastError[],
    );
  }

  backlog(): Promise<{ pending: number; oldestCreatedAt?: number }> {
    return this.run(() => {
      const row = this.statement("SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM deliveries WHERE state = 'pending'").get() as {
        pending: number;
        oldest: number | null;
      };
      return { pending: row.pending, ...(row.oldest !== null ? { oldestCreatedAt: row.oldest } : {}) };
    });
  }

  webhookStates(): Promise<{ state: WebhookState; count: number }[]> {
    return this.run(() => this.statement("SELECT state, COUNT(*) AS count FROM webhooks GROUP BY state").all() as { state: WebhookState; count: number }[]);
  }

  unfinishedOperations(): Promise<{ kind: UnfinishedKind; state: string; count: number }[]> {
    return this.run(
      () =>
        this.statement(
          `SELECT 'custom' AS kind, state, COUNT(*) AS count FROM operations WHERE state = 'running' GROUP BY state
           UNION ALL
           SELECT 'batch', state, COUNT(*) FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') GROUP BY state
           UNION ALL
           SELECT 'video', state, COUNT(*) FROM video_operations WHERE state IN ('pending', 'running') GROUP BY state
           UNION ALL
           SELECT 'interaction', status, COUNT(*) FROM interactions WHERE status IN ('in_progress', 'requires_action') GROUP BY status`,
        ).all() as { kind: UnfinishedKind; state: string; count: number }[],
    );
  }

  unfinishedBatchLines(): Promise<{ state: "pending" | "succeeded" | "failed"; count: number }[]> {
    return this.run(() => {
      const row = this.statement(
        `SELECT COALESCE(SUM(request_count - successful_request_count - failed_request_count), 0) AS pending,
         COALESCE(SUM(successful_request_count), 0) AS succeeded, COALESCE(SUM(failed_request_count), 0) AS failed
         FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')`,
      ).get() as { pending: number; succeeded: number; failed: number };
      return [
        { state: "pending", count: row.pending },
        { state: "succeeded", count: row.succeeded },
        { state: "failed", count: row.failed },
      ];
    });
  }
}

/**
 * Inside `settle`, before its attempts are written: counts those not written before (a retried flush
 * counts nothing twice) in their minute, and keeps each webhook's latest failure.
 */
export function tallyNewAttempts(
  statement: (sql: string) => Database.Statement,
  attempts: readonly Attempt[],
  settlements: readonly DeliverySettlement[],
): void {
  if (attempts.length === 0) return;
  const exists = statement("SELECT 1 FROM attempts WHERE delivery_id = ? AND attempt_number = ?");
  const target = statement("SELECT project_id, webhook_id FROM deliveries WHERE id = ?");
  const count = statement(
    `INSERT INTO attempt_minutes (project_id, webhook_key, minute, ${TALLY_COLUMNS.join(", ")}) VALUES (?, ?, ?, ${TALLY_COLUMNS.map(() => "?").join(", ")})
     ON CONFLICT (project_id, webhook_key, minute) DO UPDATE SET ${TALLY_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
  );
  const lastError = statement(
    `INSERT INTO webhook_last_errors (webhook_id, project_id, delivery_id, error, at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (webhook_id) DO UPDATE SET project_id = excluded.project_id, delivery_id = excluded.delivery_id, error = excluded.error, at = excluded.at
     WHERE webhook_last_errors.at <= excluded.at`,
  );
  const seen = new Set<string>();
  for (const tally of tallyAttempts(attempts, settlements)) {
    const key = `${tally.deliveryId}\u0000${tally.attemptNumber}`;
    if (seen.has(key) || exists.get(tally.deliveryId, tally.attemptNumber) !== undefined) continue;
    seen.add(key);
    const delivery = target.get(tally.deliveryId) as { project_id: string; webhook_id: string | null } | undefined;
    if (delivery === undefined) continue;
    count.run(delivery.project_id, delivery.webhook_id ?? "", tally.minute, ...tallyValues(tally));
    if (delivery.webhook_id !== null && tally.error !== undefined)
      lastError.run(delivery.webhook_id, delivery.project_id, tally.deliveryId, tally.error, tally.startedAt);
  }
}
