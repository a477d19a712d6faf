import {
  isSuccess,
  type Attempt,
  type Delivery,
  type DeliveryState,
  type PlannedDelivery,
} from "../../core/deliveries.js";
import {
  endpointKey,
  isBornLeasable,
  isFifoEndpoint,
  webhookEndpointKeys,
  type DeliveryTarget,
  type Routing,
} from "../../core/fanout.js";
import {
  DELIVERIES_PER_EVENT,
  deliveryId,
  deliveryKey,
  eventKeyOf,
  parseDeliveryId,
  parseEventId,
} from "../../core/ids.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { toWebhook, type WebhookRow } from "../rows.js";
import type {
  BornLease,
  ClaimedDelivery,
  ClaimRequest,
  DeliveryFilter,
  DeliveryQueue,
  DeliveryWithAttempts,
  SettlementRound,
  WebhookRecord,
} from "../store.js";
import { num, optNum, type Column, type SqlDb } from "./db.js";
import { PROJECT_KEY, publicEventId } from "./events.js";
import { TALLY_COLUMNS, tallyValues } from "../tally-columns.js";

/** How stale a webhook's recorded last success may grow before a settle writes it again. */
export const SUCCESS_RECORDED_EVERY_MS = 1_000;

/** A delivery row with what names it: its event's id parts, its webhook's id and URI, its place in the queue. */
interface DeliveryRow {
  key: number | string;
  uri: string | null;
  state: string;
  attempt_count: number | string;
  last_attempt_at: number | string | null;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: number | string;
  window_start_at: number | string;
  event_tag: string;
  event_legacy_id: string | null;
  webhook_id: string | null;
  webhook_uri: string | null;
  webhook_ordering: string | null;
  webhook_rate: number | string | null;
  due_at: number | string | null;
  endpoint: string | null;
}

/** A webhook's routing from its row's columns. */
export function routingOf(row: { ordering: string | null; rate_limit_per_second: number | string | null }): Routing {
  return {
    ...(row.ordering === "fifo" ? { ordering: "fifo" as const } : {}),
    ...(row.rate_limit_per_second !== null ? { rateLimitPerSecond: num(row.rate_limit_per_second) } : {}),
  };
}

interface AttemptRow {
  delivery_key: number | string;
  attempt_number: number | string;
  started_at: number | string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

/**
 * What names a delivery: its event (id parts), its webhook (also once deleted: deleted_webhooks keeps its id
 * and URI) and its queue entry, if it waits in the queue.
 */
const NAMED = `d.*, e.tag AS event_tag, e.legacy_id AS event_legacy_id, COALESCE(w.id, dw.id) AS webhook_id, COALESCE(w.uri, dw.uri) AS webhook_uri,
  w.ordering AS webhook_ordering, w.rate_limit_per_second AS webhook_rate, q.due_at, q.endpoint`;
const JOINED = `deliveries d JOIN events e ON e.key = d.key / ${DELIVERIES_PER_EVENT}
  LEFT JOIN webhooks w ON w.key = d.webhook_key LEFT JOIN deleted_webhooks dw ON dw.key = d.webhook_key
  LEFT JOIN delivery_queue q ON q.delivery_key = d.key`;

/** A delivery with what sending it needs: its event's body, its project, its webhook's sealed secrets. */
const CLAIMED = `${NAMED}, e.payload AS body, p.id AS project_id, w.sealed_secrets FROM ${JOINED} JOIN projects p ON p.key = e.project_key`;
type ClaimedRow = DeliveryRow & { body: string; project_id: string; sealed_secrets: string | null };

const toClaimed = (row: ClaimedRow): ClaimedDelivery => ({
  ...toDelivery(row, row.project_id),
  body: row.body,
  sealedSecrets: row.sealed_secrets ?? undefined,
  ...(row.webhook_rate !== null ? { rateLimitPerSecond: num(row.webhook_rate) } : {}),
});

export function toDelivery(row: DeliveryRow, projectId: string): Delivery {
  const key = num(row.key);
  const webhookId = row.webhook_id ?? undefined;
  const uri = row.uri ?? row.webhook_uri ?? "";
  const createdAt = num(row.created_at);
  const lastAttemptAt = optNum(row.last_attempt_at);
  return {
    id: deliveryId(key),
    projectId,
    eventId: publicEventId({ key: eventKeyOf(key), tag: row.event_tag, legacy_id: row.event_legacy_id }),
    ...(webhookId !== undefined ? { webhookId } : {}),
    uri,
    endpointKey:
      row.endpoint ??
      endpointKey(
        webhookId,
        uri,
        routingOf({ ordering: row.webhook_ordering, rate_limit_per_second: row.webhook_rate }),
      ),
    state: row.state as DeliveryState,
    attemptCount: num(row.attempt_count),
    nextAttemptAt: optNum(row.due_at) ?? lastAttemptAt ?? createdAt,
    windowStartAt: num(row.window_start_at),
    createdAt,
    updatedAt: lastAttemptAt ?? createdAt,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.last_status_code !== null ? { lastStatusCode: num(row.last_status_code) } : {}),
    ...(row.last_latency_ms !== null ? { lastLatencyMs: num(row.last_latency_ms) } : {}),
  };
}

const toAttempt = (row: AttemptRow): Attempt => ({
  deliveryId: deliveryId(num(row.delivery_key)),
  attemptNumber: num(row.attempt_number),
  startedAt: num(row.started_at),
  ...(row.status_code !== null ? { statusCode: num(row.status_code) } : {}),
  latencyMs: num(row.latency_ms),
  ...(row.error !== null ? { error: row.error } : {}),
  ...(row.response_excerpt !== null ? { responseExcerpt: row.response_excerpt } : {}),
});

/** The attempts of a delivery as shown: its failed attempts' rows, then its success, which is on the delivery's row. */
function attemptsOf(delivery: Delivery, kept: readonly Attempt[]): Attempt[] {
  if (
    delivery.state !== "succeeded" ||
    !isSuccess(delivery.lastStatusCode) ||
    kept.some((a) => a.attemptNumber === delivery.attemptCount)
  )
    return [...kept];
  return [
    ...kept,
    {
      deliveryId: delivery.id,
      attemptNumber: delivery.attemptCount,
      startedAt: delivery.updatedAt,
      ...(delivery.lastStatusCode !== undefined ? { statusCode: delivery.lastStatusCode } : {}),
      latencyMs: delivery.lastLatencyMs ?? 0,
    },
  ];
}

const DELIVERY_COLUMNS: Column[] = [
  { name: "key", type: "bigint" },
  { name: "webhook_key", type: "text", keyOf: "webhooks" },
  { name: "uri", type: "text" },
  { name: "state", type: "text" },
  { name: "attempt_count", type: "int" },
  { name: "created_at", type: "bigint" },
  { name: "window_start_at", type: "bigint" },
  { name: "locked_by", type: "bigint" },
];
const QUEUE_COLUMNS: Column[] = [
  { name: "delivery_key", type: "bigint" },
  { name: "endpoint", type: "text" },
  { name: "due_at", type: "bigint" },
];
const SETTLED_COLUMNS: Column[] = [
  { name: "state", type: "text" },
  { name: "attempt_count", type: "int" },
  { name: "last_attempt_at", type: "bigint" },
  { name: "last_status_code", type: "int" },
  { name: "last_latency_ms", type: "float8" },
  { name: "last_error", type: "text" },
  { name: "locked_by", type: "bigint" },
];
const ATTEMPT_COLUMNS: Column[] = [
  { name: "delivery_key", type: "bigint" },
  { name: "attempt_number", type: "int" },
  { name: "started_at", type: "bigint" },
  { name: "status_code", type: "int" },
  { name: "latency_ms", type: "float8" },
  { name: "error", type: "text" },
  { name: "response_excerpt", type: "text" },
];
const KEY: Column = { name: "key", type: "bigint" };

/** The part of a claim each driver writes its own way: which queued deliveries it takes, leased to the worker. */
export type ClaimKeys = (db: SqlDb, request: ClaimRequest) => Promise<number[]>;

/** Keeps the last of several items with the same key: one statement may not write a row twice. */
export function lastByKey<T>(items: readonly T[], key: (item: T) => string | number): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

/** How a driver writes a round of outcomes: SQLite in steps (settleInSteps), PostgreSQL in one statement. */
export type SettleRound = (db: SqlDb, round: SettlementRound, now: number) => Promise<WebhookRecord[]>;

/**
 * A round of outcomes as a transaction of a few statements, one per table, each for all the round's rows; the
 * webhooks with a terminal failure come back, read before the round, for the disable rule. PostgreSQL sends the same
 * writes as one statement (store/postgres/settle.ts).
 */
export const settleInSteps: SettleRound = (db, round, now) =>
  db.atomically(async (db) => {
    const candidates =
      round.webhooksAtRisk.length === 0
        ? []
        : (
            await db.all<WebhookRow>(
              `SELECT * FROM webhooks WHERE ${db.dialect.inList("id", "ids", "text")} AND state = 'enabled'`,
              {
                ids: [...round.webhooksAtRisk],
              },
            )
          ).map(toWebhook);
    if (round.webhooksSucceeded.length > 0) {
      // A success under a second old is not rewritten: the disable rule it feeds counts in a 24 h window, and a row
      // written every round costs a write per round (docs/store.md, "PostgreSQL"). Sorted, as settle.ts locks them.
      await db.run(
        `UPDATE webhooks SET last_success_at = :now WHERE ${db.dialect.inList("id", "ids", "text")}
         AND (last_success_at IS NULL OR last_success_at <= :stale)`,
        { now, stale: now - SUCCESS_RECORDED_EVERY_MS, ids: [...round.webhooksSucceeded].sort() },
      );
    }
    const settlements = lastByKey(round.settlements, (s) => s.id);
    // Only deliveries still pending change: a late outcome of one that ended meanwhile is left alone.
    const changed = new Set(
      (
        await db.updateRows<{ key: number | string }>({
          table: "deliveries",
          key: KEY,
          columns: SETTLED_COLUMNS,
          rows: settlements.map((s) => [
            parseDeliveryId(s.id),
            s.state,
            s.attemptCount,
            s.attemptedAt,
            s.lastStatusCode ?? null,
            s.lastLatencyMs,
            s.lastError ?? null,
            null,
          ]),
          where: "deliveries.state = 'pending'",
        })
      ).map((row) => num(row.key)),
    );
    const retries = settlements.filter((s) => s.state === "pending" && changed.has(parseDeliveryId(s.id) as number));
    await db.insertRows(
      "delivery_queue",
      [...QUEUE_COLUMNS, { name: "locked_by", type: "bigint" }],
      retries.map((s) => [parseDeliveryId(s.id), s.endpointKey, s.nextAttemptAt, null]),
      "ON CONFLICT (delivery_key) DO UPDATE SET due_at = excluded.due_at, locked_by = NULL",
    );
    // A delivery that ends leaves the queue, if it was there (claimed, or queued again while its engine seemed dead).
    const ended = settlements.filter((s) => s.state !== "pending").map((s) => parseDeliveryId(s.id));
    if (ended.length > 0)
      await db.run(`DELETE FROM delivery_queue WHERE ${db.dialect.inList("delivery_key", "keys", "bigint")}`, {
        keys: ended,
      });
    await db.insertRows(
      "attempts",
      ATTEMPT_COLUMNS,
      lastByKey(round.keptAttempts, (a) => `${a.deliveryId}.${a.attemptNumber}`).map((a) => [
        parseDeliveryId(a.deliveryId),
        a.attemptNumber,
        a.startedAt,
        a.statusCode ?? null,
        a.latencyMs,
        a.error ?? null,
        a.responseExcerpt ?? null,
      ]),
      `ON CONFLICT (delivery_key, attempt_number) DO UPDATE SET started_at = excluded.started_at, status_code = excluded.status_code,
       latency_ms = excluded.latency_ms, error = excluded.error, response_excerpt = excluded.response_excerpt`,
    );
    await db.insertRows(
      "attempt_minutes",
      [
        { name: "project_id", type: "text" },
        { name: "webhook_key", type: "text" },
        { name: "minute", type: "bigint" },
        ...TALLY_COLUMNS.map((name): Column => ({ name, type: "int" })),
      ],
      round.minutes.map((m) => [m.projectId, m.webhookKey, m.minute, ...tallyValues(m)]),
      `ON CONFLICT (project_id, webhook_key, minute) DO UPDATE SET ${TALLY_COLUMNS.map((c) => `${c} = attempt_minutes.${c} + excluded.${c}`).join(", ")}`,
    );
    await db.insertRows(
      "webhook_last_errors",
      [
        { name: "webhook_id", type: "text" },
        { name: "project_id", type: "text" },
        { name: "delivery_id", type: "text" },
        { name: "error", type: "text" },
        { name: "at", type: "bigint" },
      ],
      round.lastFailures.map((f) => [f.webhookId, f.projectId, f.deliveryId, f.error, f.at]),
      `ON CONFLICT (webhook_id) DO UPDATE SET project_id = excluded.project_id, delivery_id = excluded.delivery_id, error = excluded.error,
       at = excluded.at WHERE webhook_last_errors.at <= excluded.at`,
    );
    return candidates;
  });

export class SqlDeliveries implements DeliveryQueue {
  constructor(
    private readonly db: SqlDb,
    private readonly claimKeys: ClaimKeys,
    private readonly settleRound: SettleRound,
    /**
     * Called inside the transaction that queues deliveries: PostgreSQL wakes the other processes' engines at commit.
     */
    private readonly onQueued: (db: SqlDb) => Promise<void> = async () => {},
  ) {}

  /** A fresh event's deliveries: numbered from 0. */
  async insert(planned: readonly PlannedDelivery[], now: number, lease?: BornLease): Promise<Delivery[]> {
    if (planned.length === 0) return [];
    const numbers = new Map<string, number>();
    const keys = planned.map((p) => {
      const n = numbers.get(p.eventId) ?? 0;
      numbers.set(p.eventId, n + 1);
      return deliveryKey(freshEventKey(p.eventId), n);
    });
    return this.write(planned, keys, now, lease);
  }

  /** More deliveries of an event written before (a redelivery): numbered after those it has. */
  async insertMore(planned: readonly PlannedDelivery[], now: number): Promise<Delivery[]> {
    if (planned.length === 0) return [];
    const eventKeys = await this.eventKeys([...new Set(planned.map((p) => p.eventId))]);
    const next = new Map<number, number>();
    for (const eventKey of new Set(eventKeys.values())) {
      const last = await this.db.first<{ last: number | string | null }>(
        "SELECT MAX(key) AS last FROM deliveries WHERE key >= :from AND key < :until",
        {
          from: deliveryKey(eventKey, 0),
          until: deliveryKey(eventKey + 1, 0),
        },
      );
      next.set(eventKey, last?.last == null ? deliveryKey(eventKey, 0) : num(last.last) + 1);
    }
    const keys = planned.map((p) => {
      const eventKey = eventKeys.get(p.eventId) as number;
      const key = next.get(eventKey) as number;
      if (key >= deliveryKey(eventKey + 1, 0))
        throw new Error(`event ${p.eventId} has ${DELIVERIES_PER_EVENT} deliveries already`);
      next.set(eventKey, key + 1);
      return key;
    });
    return this.write(planned, keys, now);
  }

  async claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    return this.db.atomically(async (db) => {
      const keys = await this.claimKeys(db, request);
      if (keys.length === 0) return [];
      const rows = await db.all<ClaimedRow>(
        `SELECT ${CLAIMED} WHERE ${db.dialect.inList("d.key", "keys", "bigint")} ORDER BY q.due_at, d.key`,
        { keys },
      );
      return rows.map(toClaimed);
    });
  }

  async held(keys: readonly number[], worker: number): Promise<ClaimedDelivery[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.all<ClaimedRow>(
      `SELECT ${CLAIMED} WHERE ${this.db.dialect.inList("d.key", "keys", "bigint")} AND d.locked_by = :worker
       AND d.state = 'pending' ORDER BY d.key`,
      { keys: [...keys], worker },
    );
    return rows.map(toClaimed);
  }

  /** A round of outcomes, in one transaction (docs/store.md: the lean delivery path). */
  settle(round: SettlementRound, now: number): Promise<WebhookRecord[]> {
    return this.settleRound(this.db, round, now);
  }

  async release(
    deliveries: readonly Pick<Delivery, "id" | "endpointKey">[],
    worker: number,
    now: number,
  ): Promise<number> {
    if (deliveries.length === 0) return 0;
    return this.db.atomically(async (db) => {
      const keys = deliveries.map((d) => parseDeliveryId(d.id) as number);
      // Claimed ones: unlocked where they wait. Born leased ones: queued, if this worker still holds them.
      let released = await db.run(
        `UPDATE delivery_queue SET locked_by = NULL, due_at = :now WHERE locked_by = :worker AND ${db.dialect.inList("delivery_key", "keys", "bigint")}`,
        {
          now,
          worker,
          keys,
        },
      );
      const held = (
        await db.all<{ key: number | string }>(
          `UPDATE deliveries SET locked_by = NULL WHERE locked_by = :worker AND state = 'pending' AND ${db.dialect.inList("key", "keys", "bigint")} RETURNING key`,
          { worker, keys },
        )
      ).map((r) => num(r.key));
      const endpoints = new Map(deliveries.map((d) => [parseDeliveryId(d.id) as number, d.endpointKey]));
      await db.insertRows(
        "delivery_queue",
        QUEUE_COLUMNS,
        held.map((key) => [key, endpoints.get(key), now]),
        "ON CONFLICT (delivery_key) DO NOTHING",
      );
      released += held.length;
      if (released > 0) await this.onQueued(db);
      return released;
    });
  }

  async rekey(webhookId: string, endpoint: string): Promise<number> {
    const others = webhookEndpointKeys(webhookId).filter((key) => key !== endpoint);
    const moved = await this.db.run(
      `UPDATE delivery_queue SET endpoint = :endpoint WHERE ${this.db.dialect.inList("endpoint", "others", "text")}`,
      {
        endpoint,
        others,
      },
    );
    if (moved > 0) await this.onQueued(this.db);
    return moved;
  }

  async blockedHeads(projectId: string, webhookIds: readonly string[]): Promise<Delivery[]> {
    const heads: Delivery[] = [];
    for (const webhookId of webhookIds) {
      const [fifo] = webhookEndpointKeys(webhookId).filter(isFifoEndpoint);
      const row = await this.db.first<DeliveryRow>(
        `SELECT ${NAMED} FROM ${JOINED} WHERE d.key = (SELECT delivery_key FROM delivery_queue WHERE endpoint = :endpoint AND endpoint LIKE 'fifo:%'
         ORDER BY delivery_key LIMIT 1) AND d.attempt_count > 0 AND d.state = 'pending'`,
        { endpoint: fifo },
      );
      if (row !== undefined) heads.push(toDelivery(row, projectId));
    }
    return heads;
  }

  async nextDueAt(): Promise<number | undefined> {
    const row = await this.db.first<{ at: number | string | null }>(
      "SELECT MIN(due_at) AS at FROM delivery_queue WHERE locked_by IS NULL",
    );
    return optNum(row?.at);
  }

  async list(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryWithAttempts>> {
    // Only the filters given, so the planner picks the index that serves them (an `x IS NULL OR` test defeats it).
    const where = [`e.project_key = ${PROJECT_KEY}`];
    const params: Record<string, unknown> = { projectId, limit: page.pageSize + 1, offset: page.offset };
    if (filter.webhookId !== undefined) {
      where.push(
        "d.webhook_key = (SELECT key FROM webhooks WHERE id = :webhookId UNION ALL SELECT key FROM deleted_webhooks WHERE id = :webhookId)",
      );
      params.webhookId = filter.webhookId;
    }
    if (filter.eventId !== undefined) {
      const eventKey = (await this.eventKeys([filter.eventId])).get(filter.eventId);
      if (eventKey === undefined) return { items: [] };
      where.push("d.key >= :from AND d.key < :until");
      Object.assign(params, { from: deliveryKey(eventKey, 0), until: deliveryKey(eventKey + 1, 0) });
    }
    if (filter.state !== undefined) {
      where.push("d.state = :state");
      params.state = filter.state;
    }
    const rows = await this.db.all<DeliveryRow>(
      `SELECT ${NAMED} FROM ${JOINED} WHERE ${where.join(" AND ")} ORDER BY d.key ${filter.newestFirst ? "DESC" : ""} LIMIT :limit OFFSET :offset`,
      params,
    );
    const kept =
      rows.length === 0
        ? []
        : (
            await this.db.all<AttemptRow>(
              `SELECT * FROM attempts WHERE ${this.db.dialect.inList("delivery_key", "keys", "bigint")} ORDER BY delivery_key, attempt_number`,
              { keys: rows.map((r) => num(r.key)) },
            )
          ).map(toAttempt);
    const byDelivery = new Map<string, Attempt[]>();
    for (const attempt of kept)
      byDelivery.set(attempt.deliveryId, [...(byDelivery.get(attempt.deliveryId) ?? []), attempt]);
    return toPage(
      rows.map((row) => {
        const delivery = toDelivery(row, projectId);
        return { ...delivery, attempts: attemptsOf(delivery, byDelivery.get(delivery.id) ?? []) };
      }),
      page,
    );
  }

  async targetsOf(eventId: string): Promise<DeliveryTarget[]> {
    const eventKey = (await this.eventKeys([eventId])).get(eventId);
    if (eventKey === undefined) return [];
    const rows = await this.db.all<{ webhook_id: string | null; uri: string | null; webhook_uri: string | null }>(
      `SELECT DISTINCT COALESCE(w.id, dw.id) AS webhook_id, d.uri, COALESCE(w.uri, dw.uri) AS webhook_uri FROM deliveries d
       LEFT JOIN webhooks w ON w.key = d.webhook_key LEFT JOIN deleted_webhooks dw ON dw.key = d.webhook_key
       WHERE d.key >= :from AND d.key < :until`,
      { from: deliveryKey(eventKey, 0), until: deliveryKey(eventKey + 1, 0) },
    );
    return rows.map((r) => ({ webhookId: r.webhook_id ?? undefined, uri: r.uri ?? r.webhook_uri ?? "" }));
  }

  /**
   * Those waiting in the queue (through the queue's endpoint index), and those born leased to an engine, which
   * are all at or above the lowest key any worker covers (the webhook's index from there).
   */
  async failPending(webhookId: string, reason: string): Promise<number> {
    return this.db.atomically(async (db) => {
      const endpoints = webhookEndpointKeys(webhookId);
      const queued = await db.run(
        `UPDATE deliveries SET state = 'failed', last_error = :reason, locked_by = NULL
         WHERE key IN (SELECT delivery_key FROM delivery_queue WHERE ${db.dialect.inList("endpoint", "endpoints", "text")}) AND state = 'pending'`,
        { reason, endpoints },
      );
      await db.run(`DELETE FROM delivery_queue WHERE ${db.dialect.inList("endpoint", "endpoints", "text")}`, {
        endpoints,
      });
      const held = await db.run(
        `UPDATE deliveries SET state = 'failed', last_error = :reason, locked_by = NULL
         WHERE webhook_key = (SELECT key FROM webhooks WHERE id = :webhookId UNION ALL SELECT key FROM deleted_webhooks WHERE id = :webhookId)
         AND key >= (SELECT MIN(covered_from) FROM workers) AND state = 'pending'`,
        { reason, webhookId },
      );
      return queued + held;
    });
  }

  async recover(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number> {
    return this.db.atomically(async (db) => {
      const recovered = await db.all<{ key: number | string }>(
        `UPDATE deliveries SET state = 'pending', window_start_at = :now, locked_by = NULL
         WHERE webhook_key = (SELECT key FROM webhooks WHERE id = :webhookId AND project_id = :projectId)
         AND state = 'failed' AND created_at >= :since AND created_at < :until RETURNING key`,
        { now, webhookId, projectId, since, until },
      );
      const webhook = await db.first<{ ordering: string | null; rate_limit_per_second: number | string | null }>(
        "SELECT ordering, rate_limit_per_second FROM webhooks WHERE id = :webhookId",
        { webhookId },
      );
      const endpoint = endpointKey(webhookId, "", webhook === undefined ? {} : routingOf(webhook));
      await db.insertRows(
        "delivery_queue",
        QUEUE_COLUMNS,
        recovered.map((r) => [num(r.key), endpoint, now]),
        "ON CONFLICT (delivery_key) DO UPDATE SET due_at = excluded.due_at, locked_by = NULL",
      );
      if (recovered.length > 0) await this.onQueued(db);
      return recovered.length;
    });
  }

  private async write(
    planned: readonly PlannedDelivery[],
    keys: readonly number[],
    now: number,
    lease?: BornLease,
  ): Promise<Delivery[]> {
    return this.db.atomically(async (db) => {
      // Born leased when the caller's engine takes them, but never those claimed one engine at a time.
      const born = planned.map((p) => lease !== undefined && isBornLeasable(p.endpointKey));
      // Asked for together and not read: on PostgreSQL they share a round trip with the transaction's COMMIT.
      const writes: Promise<unknown>[] = [];
      writes.push(
        db.insertRows(
          "deliveries",
          DELIVERY_COLUMNS,
          planned.map((p, i) => [
            keys[i],
            p.webhookId ?? null,
            p.webhookId === undefined ? p.uri : null,
            "pending",
            0,
            p.createdAt,
            p.windowStartAt,
            born[i] ? (lease?.worker ?? null) : null,
          ]),
        ),
      );
      const queued = planned.flatMap((p, i) => (born[i] ? [] : [[keys[i], p.endpointKey, now]]));
      if (queued.length > 0) {
        writes.push(db.insertRows("delivery_queue", QUEUE_COLUMNS, queued));
        writes.push(this.onQueued(db));
      }
      const bornKeys = keys.filter((_, i) => born[i]);
      const lowest = Math.min(...bornKeys);
      if (lease !== undefined && bornKeys.length > 0 && (lease.coveredFrom === null || lease.coveredFrom > lowest)) {
        // The worker's row must cover these before they commit, or its failover could miss them (WorkerStore).
        writes.push(
          db.run(
            `UPDATE workers SET covered_from = ${db.dialect.least("COALESCE(covered_from, :lowest)", ":lowest")}, version = version + 1 WHERE id = :worker`,
            { lowest, worker: lease.worker },
          ),
        );
      }
      await db.unread(writes);
      return planned.map((p, i) => ({
        id: deliveryId(keys[i] as number),
        projectId: p.projectId,
        eventId: p.eventId,
        ...(p.webhookId !== undefined ? { webhookId: p.webhookId } : {}),
        uri: p.uri,
        endpointKey: p.endpointKey,
        state: "pending" as const,
        attemptCount: 0,
        nextAttemptAt: now,
        windowStartAt: p.windowStartAt,
        createdAt: p.createdAt,
        updatedAt: p.createdAt,
      }));
    });
  }

  /** The keys of events by id: decoded from the id, or read for an event written before keys. */
  private async eventKeys(ids: readonly string[]): Promise<Map<string, number>> {
    const keys = new Map<string, number>();
    const legacy: string[] = [];
    for (const id of ids) {
      const parsed = parseEventId(id);
      if (parsed === undefined) legacy.push(id);
      else keys.set(id, parsed.key);
    }
    if (legacy.length > 0) {
      for (const row of await this.db.all<{ key: number | string; legacy_id: string }>(
        `SELECT key, legacy_id FROM events WHERE ${this.db.dialect.inList("legacy_id", "ids", "text")}`,
        { ids: legacy },
      )) {
        keys.set(row.legacy_id, num(row.key));
      }
    }
    return keys;
  }
}

/** The key of an event written in this transaction: its id was made from it. */
function freshEventKey(id: string): number {
  const parsed = parseEventId(id);
  if (parsed === undefined) throw new Error(`${id} is not the id of a new event`);
  return parsed.key;
}
