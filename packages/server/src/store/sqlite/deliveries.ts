import type { NewDelivery } from "../../core/deliveries.js";
import type { DeliveryTarget } from "../../core/fanout.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { attemptParams, toAttempt, toDelivery, toWebhook, type AttemptRow, type DeliveryRow, type WebhookRow } from "../rows.js";
import type { ClaimedDelivery, ClaimRequest, DeliveryFilter, DeliveryQueue, DeliveryWithAttempts, SettlementRound, WebhookRecord } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";
import { tallyNewAttempts } from "./stats.js";

type ClaimRow = DeliveryRow & { body: string; sealed_secrets: string | null };

/** The endpoints that have pending deliveries: a loose index scan, one seek per endpoint. */
const PENDING_ENDPOINTS = `WITH RECURSIVE keys(k) AS (
  SELECT MIN(endpoint_key) FROM deliveries WHERE state = 'pending'
  UNION ALL
  SELECT (SELECT MIN(endpoint_key) FROM deliveries WHERE state = 'pending' AND endpoint_key > k) FROM keys WHERE k IS NOT NULL
) SELECT k FROM keys WHERE k IS NOT NULL`;

export class SqliteDeliveries extends SqliteAggregate implements DeliveryQueue {
  insert(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return Promise.resolve();
    return this.atomically(() => {
      const insert = this.statement(
        `INSERT INTO deliveries (id, project_id, event_id, webhook_id, uri, endpoint_key, state, attempt_count, next_attempt_at,
         locked_until, locked_by, window_start_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of deliveries) {
        insert.run(
          d.id,
          d.projectId,
          d.eventId,
          d.webhookId ?? null,
          d.uri,
          d.endpointKey,
          d.nextAttemptAt,
          d.lease?.lockedUntil ?? null,
          d.lease?.lockedBy ?? null,
          d.windowStartAt,
          d.createdAt,
          d.updatedAt,
        );
      }
    });
  }

  /**
   * Endpoint by endpoint, through deliveries_endpoint_due: the endpoints with pending deliveries (a skip
   * scan, one index seek each), then each one's oldest due and unleased ones. Its cost follows the number of
   * endpoints and the rows taken, never the size of the backlog.
   */
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    return this.atomically(() => {
      const { now, lockedUntil, lockedBy, limit, perEndpointLimit } = request;
      const skip = new Set(request.skipEndpoints);
      const keys = (this.statement(PENDING_ENDPOINTS).all() as { k: string }[]).map((r) => r.k).filter((k) => !skip.has(k));
      const dueOf = this.statement(
        `SELECT id, next_attempt_at FROM deliveries WHERE state = 'pending' AND endpoint_key = ? AND next_attempt_at <= ?
         AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_attempt_at LIMIT ?`,
      );
      const perEndpoint = Math.min(perEndpointLimit, limit);
      const due = keys.flatMap((k) => dueOf.all(k, now, now, perEndpoint) as { id: string; next_attempt_at: number }[]);
      const chosen = due
        .sort((a, b) => a.next_attempt_at - b.next_attempt_at)
        .slice(0, limit)
        .map((d) => d.id);
      if (chosen.length === 0) return [];
      const ids = JSON.stringify(chosen);
      this.statement("UPDATE deliveries SET locked_until = ?, locked_by = ? WHERE id IN (SELECT value FROM json_each(?))").run(lockedUntil, lockedBy, ids);
      const rows = this.statement(
        `SELECT d.*, e.payload AS body, w.sealed_secrets FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.next_attempt_at, d.id`,
      ).all(ids) as ClaimRow[];
      return rows.map((row) => ({ ...toDelivery(row), body: row.body, sealedSecrets: row.sealed_secrets ?? undefined }));
    });
  }

  settle(round: SettlementRound, now: number): Promise<WebhookRecord[]> {
    return this.atomically(() => {
      const ids = (list: readonly string[]) => JSON.stringify(list);
      const candidates =
        round.webhooksAtRisk.length === 0
          ? []
          : (
              this.statement("SELECT * FROM webhooks WHERE id IN (SELECT value FROM json_each(?)) AND state = 'enabled'").all(
                ids(round.webhooksAtRisk),
              ) as WebhookRow[]
            ).map(toWebhook);
      if (round.webhooksSucceeded.length > 0) {
        this.statement("UPDATE webhooks SET last_success_at = ? WHERE id IN (SELECT value FROM json_each(?))").run(now, ids(round.webhooksSucceeded));
      }
      const insertAttempt = this.statement(
        `INSERT OR REPLACE INTO attempts (delivery_id, attempt_number, started_at, status_code, latency_ms, error, response_excerpt, request_headers)
         VALUES (@delivery_id, @attempt_number, @started_at, @status_code, @latency_ms, @error, @response_excerpt, @request_headers)`,
      );
      tallyNewAttempts((sql) => this.statement(sql), round.attempts, round.settlements);
      for (const attempt of round.attempts) insertAttempt.run(attemptParams(attempt));
      const update = this.statement(
        `UPDATE deliveries SET state = ?, attempt_count = ?, next_attempt_at = ?, locked_until = NULL, locked_by = NULL, last_error = ?,
         last_status_code = ?, updated_at = ? WHERE id = ? AND state = 'pending'`,
      );
      for (const s of round.settlements) update.run(s.state, s.attemptCount, s.nextAttemptAt, s.lastError ?? null, s.lastStatusCode ?? null, now, s.id);
      return candidates;
    });
  }

  release(ids: readonly string[], lockedBy: string): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.run(
      () =>
        this.statement("UPDATE deliveries SET locked_until = NULL, locked_by = NULL WHERE id IN (SELECT value FROM json_each(?)) AND locked_by = ?").run(
          JSON.stringify(ids),
          lockedBy,
        ).changes,
    );
  }

  releaseAll(): Promise<number> {
    return this.run(() => this.statement("UPDATE deliveries SET locked_until = NULL, locked_by = NULL WHERE locked_until IS NOT NULL").run().changes);
  }

  nextDueAt(): Promise<number | undefined> {
    return this.run(() => {
      // MIN(), not ORDER BY … LIMIT 1: only this form walks deliveries_due instead of scanning the table.
      const unlocked = this.statement("SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE state = 'pending' AND locked_until IS NULL").get() as {
        at: number | null;
      };
      const locked = this.statement(
        "SELECT MIN(MAX(next_attempt_at, locked_until)) AS at FROM deliveries WHERE locked_until IS NOT NULL AND state = 'pending'",
      ).get() as {
        at: number | null;
      };
      const times = [unlocked.at, locked.at].filter((t): t is number => t !== null);
      return times.length === 0 ? undefined : Math.min(...times);
    });
  }

  list(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryWithAttempts>> {
    return this.run(() => {
      // Only the filters given, so the planner picks the index that serves them (an `x IS NULL OR` test defeats it).
      const where = [
        "project_id = @project_id",
        filter.webhookId !== undefined ? "webhook_id = @webhook_id" : "",
        filter.eventId !== undefined ? "event_id = @event_id" : "",
        filter.state !== undefined ? "state = @state" : "",
      ].filter(Boolean);
      const rows = this.statement(
        `SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY ${filter.newestFirst ? "created_at DESC, id DESC" : "created_at, id"} LIMIT @limit OFFSET @offset`,
      ).all({
        project_id: projectId,
        ...(filter.webhookId !== undefined ? { webhook_id: filter.webhookId } : {}),
        ...(filter.eventId !== undefined ? { event_id: filter.eventId } : {}),
        ...(filter.state !== undefined ? { state: filter.state } : {}),
        limit: page.pageSize + 1,
        offset: page.offset,
      }) as DeliveryRow[];
      const attemptsOf = this.statement("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt_number");
      return toPage(
        rows.map((row) => ({ ...toDelivery(row), attempts: (attemptsOf.all(row.id) as AttemptRow[]).map(toAttempt) })),
        page,
      );
    });
  }

  targetsOf(eventId: string): Promise<DeliveryTarget[]> {
    return this.run(() =>
      (this.statement("SELECT DISTINCT webhook_id, uri FROM deliveries WHERE event_id = ?").all(eventId) as { webhook_id: string | null; uri: string }[]).map(
        (r) => ({
          webhookId: r.webhook_id ?? undefined,
          uri: r.uri,
        }),
      ),
    );
  }

  failPending(webhookId: string, reason: string, now: number): Promise<number> {
    return this.run(
      () =>
        this.statement(
          "UPDATE deliveries SET state = 'failed', locked_until = NULL, locked_by = NULL, last_error = ?, updated_at = ? WHERE webhook_id = ? AND state = 'pending'",
        ).run(reason, now, webhookId).changes,
    );
  }

  recover(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number> {
    return this.run(
      () =>
        this.statement(
          `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, window_start_at = ?, locked_until = NULL, locked_by = NULL, updated_at = ?
           WHERE project_id = ? AND webhook_id = ? AND state = 'failed' AND created_at >= ? AND created_at < ?`,
        ).run(now, now, now, projectId, webhookId, since, until).changes,
    );
  }
}
