import type { Attempt, NewDelivery } from "../../core/deliveries.js";
import type { DeliveryTarget } from "../../core/fanout.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { attemptParams, toAttempt, toDelivery, toWebhook, type AttemptRow, type DeliveryRow, type WebhookRow } from "../rows.js";
import type { ClaimedDelivery, ClaimRequest, DeliveryFilter, DeliveryQueue, DeliveryWithAttempts, SettlementRound, WebhookRecord } from "../store.js";
import { ms, type PgExecutor } from "./executor.js";
import { notifyDeliveries } from "./notify.js";
import { attemptTallies } from "./stats.js";

type ClaimRow = DeliveryRow & { body: string; sealed_secrets: string | null };

export class PgDeliveries implements DeliveryQueue {
  constructor(private readonly db: PgExecutor) {}

  /** One statement for the whole fan-out; due (unleased) ones wake the other processes' engines at commit. */
  async insert(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db.query(
      `INSERT INTO deliveries (id, project_id, event_id, webhook_id, uri, endpoint_key, state, attempt_count, next_attempt_at,
         locked_until, locked_by, window_start_at, created_at, updated_at)
       SELECT id, project_id, event_id, webhook_id, uri, endpoint_key, 'pending', 0, next_attempt_at, locked_until, locked_by, window_start_at, created_at, updated_at
       FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[])
         AS v(id, project_id, event_id, webhook_id, uri, endpoint_key, next_attempt_at, locked_until, locked_by, window_start_at, created_at, updated_at)`,
      [
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.projectId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.webhookId ?? null),
        deliveries.map((d) => d.uri),
        deliveries.map((d) => d.endpointKey),
        deliveries.map((d) => ms(d.nextAttemptAt)),
        deliveries.map((d) => (d.lease === undefined ? null : ms(d.lease.lockedUntil))),
        deliveries.map((d) => d.lease?.lockedBy ?? null),
        deliveries.map((d) => ms(d.windowStartAt)),
        deliveries.map((d) => ms(d.createdAt)),
        deliveries.map((d) => ms(d.updatedAt)),
      ],
    );
    if (deliveries.some((d) => d.lease === undefined)) await notifyDeliveries(this.db);
  }

  /**
   * One statement, endpoint by endpoint through deliveries_endpoint_due: the endpoints with pending
   * deliveries (a loose index scan, one seek each), then each one's oldest due, unleased ones (a LATERAL
   * index range). Its cost follows the endpoints and the rows taken, never the size of the backlog.
   * SKIP LOCKED lets processes claim side by side: each passes over the rows another is claiming right now;
   * a row another process claimed and committed meanwhile is re-checked on lock and, its lease now running,
   * dropped. A delivery is never leased twice.
   */
  async claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const rows = await this.db.all<ClaimRow>(
      `WITH RECURSIVE keys(k) AS (
         (SELECT endpoint_key FROM deliveries WHERE state = 'pending' ORDER BY endpoint_key LIMIT 1)
         UNION ALL
         SELECT (SELECT endpoint_key FROM deliveries WHERE state = 'pending' AND endpoint_key > keys.k ORDER BY endpoint_key LIMIT 1)
         FROM keys WHERE keys.k IS NOT NULL
       ), due AS (
         SELECT d.id, d.next_attempt_at FROM keys
         CROSS JOIN LATERAL (
           SELECT id, next_attempt_at FROM deliveries
           WHERE state = 'pending' AND endpoint_key = keys.k AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
           ORDER BY next_attempt_at LIMIT LEAST($5::int, $4::int)
           FOR UPDATE SKIP LOCKED
         ) d
         WHERE keys.k IS NOT NULL AND keys.k <> ALL($3::text[])
         ORDER BY d.next_attempt_at, d.id LIMIT $4
       ), claimed AS (
         UPDATE deliveries d SET locked_until = $2, locked_by = $6 FROM due WHERE d.id = due.id RETURNING d.*
       )
       SELECT claimed.*, e.payload AS body, w.sealed_secrets FROM claimed
       JOIN events e ON e.id = claimed.event_id
       LEFT JOIN webhooks w ON w.id = claimed.webhook_id
       ORDER BY claimed.next_attempt_at, claimed.id`,
      [ms(request.now), ms(request.lockedUntil), [...request.skipEndpoints], request.limit, request.perEndpointLimit, request.lockedBy],
    );
    return rows.map((row) => ({ ...toDelivery(row), body: row.body, sealedSecrets: row.sealed_secrets ?? undefined }));
  }

  /**
   * One statement, so one round trip and no explicit transaction. The webhooks' success stamps come first
   * (the settle below waits on them): disabling and deleting lock a webhook before its deliveries, and the
   * same order here means the two cannot deadlock. The candidates are read from the statement's snapshot,
   * before this round: the disable rule counts this round's successes itself.
   */
  async settle(round: SettlementRound, now: number): Promise<WebhookRecord[]> {
    // A statement may not upsert one row twice: duplicates keep the last, as writing them in order would.
    const unique = lastByKey(round.attempts, (a) => `${a.deliveryId}\u0000${a.attemptNumber}`);
    const attempts = unique.map(attemptParams);
    // An UPDATE … FROM applies one source row per target row: a delivery listed twice keeps its last outcome.
    const settlements = lastByKey(round.settlements, (s) => s.id);
    // The per-minute tallies of the new attempts, in the same statement (stats.ts).
    const tallies = attemptTallies(unique, round.settlements, 18);
    const rows = await this.db.all<WebhookRow>(
      `WITH ${tallies.ctes}, succeeded AS (
         UPDATE webhooks SET last_success_at = $1 WHERE id = ANY($2::text[]) RETURNING id
       ), attempted AS (
         INSERT INTO attempts (delivery_id, attempt_number, started_at, status_code, latency_ms, error, response_excerpt, request_headers)
         SELECT * FROM UNNEST($3::text[], $4::int[], $5::bigint[], $6::int[], $7::float8[], $8::text[], $9::text[], $10::text[])
         ON CONFLICT (delivery_id, attempt_number) DO UPDATE SET
           started_at = EXCLUDED.started_at, status_code = EXCLUDED.status_code, latency_ms = EXCLUDED.latency_ms,
           error = EXCLUDED.error, response_excerpt = EXCLUDED.response_excerpt, request_headers = EXCLUDED.request_headers
         RETURNING 1
       ), settled AS (
         UPDATE deliveries d SET state = v.state, attempt_count = v.attempt_count, next_attempt_at = v.next_attempt_at,
           locked_until = NULL, locked_by = NULL, last_error = v.last_error, last_status_code = v.last_status_code, updated_at = $1
         FROM UNNEST($11::text[], $12::text[], $13::int[], $14::bigint[], $15::text[], $16::int[])
           AS v(id, state, attempt_count, next_attempt_at, last_error, last_status_code)
         WHERE d.id = v.id AND d.state = 'pending' AND (SELECT count(*) FROM succeeded) >= 0
         RETURNING 1
       )
       SELECT * FROM webhooks WHERE id = ANY($17::text[]) AND state = 'enabled'
         AND (SELECT count(*) FROM settled) >= 0 AND (SELECT count(*) FROM attempted) >= 0`,
      [
        ms(now),
        // Sorted: concurrent rounds lock shared webhook rows in the same order.
        [...round.webhooksSucceeded].sort(),
        attempts.map((r) => r.delivery_id),
        attempts.map((r) => r.attempt_number),
        attempts.map((r) => ms(r.started_at)),
        attempts.map((r) => r.status_code),
        attempts.map((r) => r.latency_ms),
        attempts.map((r) => r.error),
        attempts.map((r) => r.response_excerpt),
        attempts.map((r) => r.request_headers),
        settlements.map((x) => x.id),
        settlements.map((x) => x.state),
        settlements.map((x) => x.attemptCount),
        settlements.map((x) => ms(x.nextAttemptAt)),
        settlements.map((x) => x.lastError ?? null),
        settlements.map((x) => x.lastStatusCode ?? null),
        [...round.webhooksAtRisk],
        ...tallies.params,
      ],
    );
    return rows.map(toWebhook);
  }

  async release(ids: readonly string[], lockedBy: string): Promise<number> {
    if (ids.length === 0) return 0;
    const released = await this.db.count("UPDATE deliveries SET locked_until = NULL, locked_by = NULL WHERE id = ANY($1::text[]) AND locked_by = $2", [
      [...ids],
      lockedBy,
    ]);
    // Another process may have room for them now.
    if (released > 0) await notifyDeliveries(this.db);
    return released;
  }

  async releaseAll(): Promise<number> {
    return this.db.count("UPDATE deliveries SET locked_until = NULL, locked_by = NULL WHERE locked_until IS NOT NULL");
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.db.minimum(
      `SELECT LEAST(
         (SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND locked_until IS NULL),
         (SELECT MIN(GREATEST(next_attempt_at, locked_until)) FROM deliveries WHERE locked_until IS NOT NULL AND state = 'pending')
       ) AS at`,
    );
  }

  async list(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryWithAttempts>> {
    // Only the filters given, so a generic plan still uses the index that serves them.
    const params: unknown[] = [projectId];
    const where = ["project_id = $1"];
    for (const [column, value] of [
      ["webhook_id", filter.webhookId],
      ["event_id", filter.eventId],
      ["state", filter.state],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    params.push(page.pageSize + 1, page.offset);
    const rows = await this.db.all<DeliveryRow>(
      `SELECT * FROM deliveries WHERE ${where.join(" AND ")}
       ORDER BY ${filter.newestFirst ? "created_at DESC, id DESC" : "created_at, id"} LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    // All the page's attempts in one query rather than one per delivery.
    const attempts =
      rows.length === 0
        ? []
        : await this.db.all<AttemptRow>("SELECT * FROM attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt_number", [
            rows.map((r) => r.id),
          ]);
    const attemptsOf = new Map<string, Attempt[]>();
    for (const row of attempts) {
      const list = attemptsOf.get(row.delivery_id) ?? [];
      list.push(toAttempt(row));
      attemptsOf.set(row.delivery_id, list);
    }
    return toPage(
      rows.map((row) => ({ ...toDelivery(row), attempts: attemptsOf.get(row.id) ?? [] })),
      page,
    );
  }

  async targetsOf(eventId: string): Promise<DeliveryTarget[]> {
    const rows = await this.db.all<{ webhook_id: string | null; uri: string }>("SELECT DISTINCT webhook_id, uri FROM deliveries WHERE event_id = $1", [
      eventId,
    ]);
    return rows.map((r) => ({ webhookId: r.webhook_id ?? undefined, uri: r.uri }));
  }

  failPending(webhookId: string, reason: string, now: number): Promise<number> {
    return this.db.count(
      "UPDATE deliveries SET state = 'failed', locked_until = NULL, locked_by = NULL, last_error = $1, updated_at = $2 WHERE webhook_id = $3 AND state = 'pending'",
      [reason, ms(now), webhookId],
    );
  }

  async recover(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number> {
    const recovered = await this.db.count(
      `UPDATE deliveries SET state = 'pending', next_attempt_at = $1, window_start_at = $1, locked_until = NULL, locked_by = NULL, updated_at = $1
       WHERE project_id = $2 AND webhook_id = $3 AND state = 'failed' AND created_at >= $4 AND created_at < $5`,
      [ms(now), projectId, webhookId, ms(since), ms(until)],
    );
    if (recovered > 0) await notifyDeliveries(this.db);
    return recovered;
  }
}

/** Keeps the last of several items with the same key, in their original order otherwise. */
function lastByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}
