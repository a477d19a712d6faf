import pg from "pg";
import type { Batch, BatchLine } from "../../core/batches.js";
import type { Attempt, Delivery } from "../../core/deliveries.js";
import type { EventTarget, StoredEvent } from "../../core/events.js";
import { planDeliveries, type NewDelivery } from "../../core/fanout.js";
import type { Operation } from "../../core/operations.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import type { Project } from "../../core/projects.js";
import type { WebhookState } from "../../core/webhooks.js";
import {
  attemptParams, batchParams, bornLeased, eventParams, operationParams, toAttempt, toBatch, toBatchLine, toDelivery, toEvent, toOperation, toProject, toSigningKey, toWebhook,
  webhookParams, type AttemptRow, type BatchLineRow, type BatchRow, type DeliveryRow, type EventRow, type OperationRow, type ProjectRow, type SigningKeyRow,
  type WebhookRow,
} from "../rows.js";
import type {
  AttemptOutcome, ClaimedDelivery, DecideBatchFinish, DecideFinish, DeliveryFilter, EventFilter, SigningKeyRecord, Store, WebhookRecord,
  WebhookToDisable,
} from "../store.js";
import { DeliveriesListener, notifyDeliveries, type Queryable } from "./notify.js";
import { POSTGRES_SCHEMA } from "./schema.js";
import type { FileStore } from "../file-store.js";
import { POSTGRES_FILES_SCHEMA, PostgresFileStore } from "./file-store.js";

export interface PostgresStoreOptions {
  /** Keep the tables in this schema (created if missing) instead of the connection's default search_path. */
  schema?: string;
  /** Pool size; pg's default is 10. */
  maxConnections?: number;
}

type ClaimRow = DeliveryRow & { body: string; sealed_secrets: string | null; due_at: string };

/** Serialises schema creation across processes: concurrent CREATE ... IF NOT EXISTS can still collide. */
const SCHEMA_LOCK = 0x7469_6469; // "tidi"

/**
 * Times are BIGINT columns. Retry times carry jitter and so fractions of a millisecond, which BIGINT
 * refuses (SQLite would silently store a REAL): round every time on its way in.
 */
const ms = (t: number): number => Math.round(t);
const optMs = (t: number | undefined): number | null => (t === undefined ? null : Math.round(t));

/**
 * The shared driver: any number of `tidings serve` processes use one database and split the work.
 * pg returns BIGINT columns as strings; the row mappers Number() them, so no global type parser is set.
 */
export class PostgresStore implements Store {
  readonly files: FileStore;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
  ) {
    this.files = new PostgresFileStore(pool);
  }

  /** Connects and creates the schema if needed. */
  static async connect(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const clientConfig = connectionConfig(url, options.schema);
    const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections });
    // An idle connection that drops emits 'error' on the pool, which would otherwise crash the process;
    // the pool discards that connection and the next query opens a new one.
    pool.on("error", () => {});
    const store = new PostgresStore(pool, clientConfig);
    try {
      await store.transaction(async (db) => {
        await db.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
        if (options.schema !== undefined) await db.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
        await db.query(POSTGRES_SCHEMA);
        await db.query(POSTGRES_FILES_SCHEMA);
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Calls `onNotify` whenever a commit, in any process sharing this database and schema, makes deliveries
   * due. Resolves once listening; the returned function stops.
   */
  async listenForDeliveries(onNotify: () => void): Promise<() => Promise<void>> {
    const listener = new DeliveriesListener(this.clientConfig, onNotify);
    await listener.start();
    return () => listener.stop();
  }

  // --- projects and keys ---

  async createProject(p: Project): Promise<void> {
    await this.pool.query("INSERT INTO projects (id, display_name, is_default, created_at) VALUES ($1, $2, $3, $4)", [
      p.id, p.displayName, p.isDefault, ms(p.createdAt),
    ]);
  }

  async getProject(id: string): Promise<Project | undefined> {
    const row = await first<ProjectRow>(this.pool, "SELECT * FROM projects WHERE id = $1", [id]);
    return row && toProject(row);
  }

  async getDefaultProject(): Promise<Project | undefined> {
    const row = await first<ProjectRow>(this.pool, "SELECT * FROM projects WHERE is_default ORDER BY created_at, id LIMIT 1");
    return row && toProject(row);
  }

  async addApiKey(projectId: string, keyHash: string, now: number): Promise<void> {
    await this.pool.query(
      "INSERT INTO api_keys (key_hash, project_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO NOTHING",
      [keyHash, projectId, ms(now)],
    );
  }

  async projectIdForKeyHash(keyHash: string): Promise<string | undefined> {
    const row = await first<{ project_id: string }>(this.pool, "SELECT project_id FROM api_keys WHERE key_hash = $1", [keyHash]);
    return row?.project_id;
  }

  // --- webhooks ---

  async insertWebhook(w: WebhookRecord): Promise<void> {
    const p = webhookParams(w);
    await this.pool.query(
      `INSERT INTO webhooks (id, project_id, name, uri, subscribed_events, state, sealed_secrets, created_at, updated_at, last_success_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [p.id, p.project_id, p.name, p.uri, p.subscribed_events, p.state, p.sealed_secrets, ms(p.created_at), ms(p.updated_at), optMs(w.lastSuccessAt)],
    );
  }

  async getWebhook(projectId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = await first<WebhookRow>(this.pool, "SELECT * FROM webhooks WHERE project_id = $1 AND id = $2", [projectId, id]);
    return row && toWebhook(row);
  }

  async listWebhooks(projectId: string, page: PageRequest): Promise<Page<WebhookRecord>> {
    const rows = await all<WebhookRow>(
      this.pool,
      "SELECT * FROM webhooks WHERE project_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
      [projectId, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toWebhook), page);
  }

  async updateWebhook(w: WebhookRecord): Promise<void> {
    const p = webhookParams(w);
    await this.pool.query(
      `UPDATE webhooks SET name = $3, uri = $4, subscribed_events = $5, state = $6, sealed_secrets = $7, updated_at = $8,
       last_success_at = $9 WHERE project_id = $1 AND id = $2`,
      [p.project_id, p.id, p.name, p.uri, p.subscribed_events, p.state, p.sealed_secrets, ms(p.updated_at), optMs(w.lastSuccessAt)],
    );
  }

  async deleteWebhook(projectId: string, id: string): Promise<boolean> {
    return this.transaction(async (db) => {
      const deleted = await db.query("DELETE FROM webhooks WHERE project_id = $1 AND id = $2", [projectId, id]);
      if (deleted.rowCount === 0) return false;
      await failPendingDeliveries(db, id, "the webhook was deleted", Date.now());
      return true;
    });
  }

  async disableWebhook(projectId: string, id: string, state: WebhookState, event: StoredEvent, now: number): Promise<boolean> {
    return this.transaction(async (db) => {
      const changed = await db.query(
        "UPDATE webhooks SET state = $1, updated_at = $2 WHERE project_id = $3 AND id = $4 AND state = 'enabled'",
        [state, ms(now), projectId, id],
      );
      if (changed.rowCount === 0) return false;
      await failPendingDeliveries(db, id, `the webhook was disabled (${state})`, now);
      await insertEventWithDeliveries(db, event, { kind: "subscribers", excludeWebhookId: id }, now);
      return true;
    });
  }

  // --- operations ---

  async insertOperation(o: Operation): Promise<void> {
    const p = operationParams(o);
    await this.pool.query(
      `INSERT INTO operations (id, project_id, type, state, metadata, webhook_config, response, output_file_uri, error, expire_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [p.id, p.project_id, p.type, p.state, p.metadata, p.webhook_config, p.response, p.output_file_uri, p.error,
        optMs(o.expireAt), ms(p.created_at), ms(p.updated_at)],
    );
  }

  async getOperation(projectId: string, id: string): Promise<Operation | undefined> {
    const row = await first<OperationRow>(this.pool, "SELECT * FROM operations WHERE project_id = $1 AND id = $2", [projectId, id]);
    return row && toOperation(row);
  }

  async listOperations(projectId: string, filter: { done?: boolean; type?: string }, page: PageRequest): Promise<Page<Operation>> {
    const rows = await all<OperationRow>(
      this.pool,
      `SELECT * FROM operations WHERE project_id = $1
       AND ($2::boolean IS NULL OR (state <> 'running') = $2) AND ($3::text IS NULL OR type = $3)
       ORDER BY created_at, id LIMIT $4 OFFSET $5`,
      [projectId, filter.done ?? null, filter.type ?? null, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toOperation), page);
  }

  async finishOperation(projectId: string, id: string, decide: DecideFinish, now: number, leaseUntil?: number) {
    return this.transaction(async (db) => {
      // FOR UPDATE: two processes finishing the same operation serialise here, and the second one's
      // decide() sees the first one's outcome (and refuses: an operation ends exactly once).
      const row = await first<OperationRow>(db, "SELECT * FROM operations WHERE project_id = $1 AND id = $2 FOR UPDATE", [projectId, id]);
      if (!row) return undefined;
      const { operation, event } = decide(toOperation(row));
      const p = operationParams(operation);
      await db.query(
        "UPDATE operations SET state = $1, response = $2, output_file_uri = $3, error = $4, updated_at = $5 WHERE id = $6",
        [p.state, p.response, p.output_file_uri, p.error, ms(p.updated_at), p.id],
      );
      const target: EventTarget = operation.webhookConfig ? { kind: "uris", uris: operation.webhookConfig.uris } : { kind: "subscribers" };
      const { leased } = await insertEventWithDeliveries(db, event, target, now, leaseUntil);
      return { operation, event, deliveries: leased };
    });
  }

  async listExpiredOperations(now: number, limit: number): Promise<Operation[]> {
    const rows = await all<OperationRow>(
      this.pool,
      "SELECT * FROM operations WHERE state = 'running' AND expire_at IS NOT NULL AND expire_at <= $1 ORDER BY expire_at LIMIT $2",
      [ms(now), limit],
    );
    return rows.map(toOperation);
  }

  async nextExpireAt(): Promise<number | undefined> {
    return minimum(this.pool, "SELECT MIN(expire_at) AS at FROM operations WHERE state = 'running' AND expire_at IS NOT NULL");
  }

  // --- events ---

  async publishEvent(event: StoredEvent, target: EventTarget, now: number): Promise<number> {
    return this.transaction(async (db) => (await insertEventWithDeliveries(db, event, target, now)).count);
  }

  async getEvent(projectId: string, id: string): Promise<StoredEvent | undefined> {
    const row = await first<EventRow>(this.pool, "SELECT * FROM events WHERE project_id = $1 AND id = $2", [projectId, id]);
    return row && toEvent(row);
  }

  async listEvents(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    const rows = await all<EventRow>(
      this.pool,
      `SELECT * FROM events WHERE project_id = $1 AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR operation = $3)
       ORDER BY created_at, id LIMIT $4 OFFSET $5`,
      [projectId, filter.type ?? null, filter.operation ?? null, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toEvent), page);
  }

  async redeliverEvent(projectId: string, eventId: string, webhookId: string | undefined, now: number): Promise<number> {
    return this.transaction(async (db) => {
      const row = await first<EventRow>(db, "SELECT * FROM events WHERE project_id = $1 AND id = $2", [projectId, eventId]);
      if (!row) return 0;
      const event = toEvent(row);
      let deliveries: NewDelivery[];
      if (webhookId !== undefined) {
        const target: EventTarget = { kind: "webhook", webhookId };
        deliveries = planDeliveries(event, target, await webhooksForTarget(db, projectId, target), now);
      } else {
        // The original targets: its dynamic URIs, and those of its static webhooks that are still enabled.
        const previous = await all<{ webhook_id: string | null; uri: string }>(
          db,
          "SELECT DISTINCT webhook_id, uri FROM deliveries WHERE event_id = $1",
          [eventId],
        );
        const uris = previous.filter((d) => d.webhook_id === null).map((d) => d.uri);
        const webhookIds = new Set(previous.flatMap((d) => (d.webhook_id === null ? [] : [d.webhook_id])));
        const statics = (await webhooksForTarget(db, projectId, { kind: "subscribers" })).filter((w) => webhookIds.has(w.id));
        deliveries = [
          ...planDeliveries(event, { kind: "uris", uris }, [], now),
          ...statics.flatMap((w) => planDeliveries(event, { kind: "webhook", webhookId: w.id }, [w], now)),
        ];
      }
      return insertDeliveries(db, deliveries);
    });
  }

  // --- the delivery queue ---

  async claimDueDeliveries(now: number, leaseUntil: number, limit: number, skipEndpoints: readonly string[], perEndpointLimit = 2 ** 31 - 1): Promise<ClaimedDelivery[]> {
    // One statement, so no explicit transaction. SKIP LOCKED lets processes claim side by side: each
    // passes over the rows another is claiming right now instead of waiting for them. A row another
    // process claimed and committed meanwhile is re-checked against the WHERE clause on lock and, its
    // next_attempt_at now being a lease in the future, dropped: a delivery is never leased twice.
    const rows = await all<ClaimRow>(
      this.pool,
      `WITH ranked AS (
         SELECT id, row_number() OVER (PARTITION BY endpoint_key ORDER BY next_attempt_at, id) AS rank FROM deliveries
         WHERE state = 'pending' AND next_attempt_at <= $1 AND endpoint_key <> ALL($3::text[])
       ), due AS (
         SELECT d.id, d.next_attempt_at FROM deliveries d JOIN ranked r ON r.id = d.id
         WHERE r.rank <= $5 AND d.state = 'pending' AND d.next_attempt_at <= $1
         ORDER BY d.next_attempt_at, d.id LIMIT $4
         FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE deliveries d SET next_attempt_at = $2, leased = true
         FROM due WHERE d.id = due.id
         RETURNING d.*, due.next_attempt_at AS due_at
       )
       SELECT claimed.*, e.payload AS body, w.sealed_secrets FROM claimed
       JOIN events e ON e.id = claimed.event_id
       LEFT JOIN webhooks w ON w.id = claimed.webhook_id
       ORDER BY claimed.due_at, claimed.id`,
      [ms(now), ms(leaseUntil), [...skipEndpoints], limit, perEndpointLimit],
    );
    return rows.map((row) => ({
      // As SQLite reports it: when the delivery was due, not when its lease ends.
      ...toDelivery({ ...row, next_attempt_at: row.due_at }),
      body: row.body,
      sealedSecrets: row.sealed_secrets ?? undefined,
      endpointKey: row.endpoint_key,
    }));
  }

  async recordAttempts(outcomes: readonly AttemptOutcome[], now: number, windowMs: number): Promise<WebhookToDisable[]> {
    if (outcomes.length === 0) return [];
    return this.transaction(async (db) => {
      // Webhook rows first, deliveries after: the order disableWebhook and deleteWebhook lock them in,
      // so that settling a batch and disabling one of its webhooks cannot deadlock.
      const toDisable = await settleWebhooks(db, outcomes, now, windowMs);
      await insertAttempts(db, outcomes.map((o) => o.attempt));
      await settleDeliveries(db, outcomes, now);
      return toDisable;
    });
  }

  async releaseLeases(now: number): Promise<number> {
    return this.transaction(async (db) => {
      await db.query("UPDATE batches SET lease_until = NULL WHERE lease_until IS NOT NULL");
      const released = await db.query("UPDATE deliveries SET next_attempt_at = $1, leased = false WHERE state = 'pending' AND leased", [ms(now)]);
      if (released.rowCount) await notifyDeliveries(db);
      return released.rowCount ?? 0;
    });
  }

  async nextDueAt(): Promise<number | undefined> {
    return minimum(this.pool, "SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE state = 'pending'");
  }

  async listDeliveries(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery & { attempts: Attempt[] }>> {
    const rows = await all<DeliveryRow>(
      this.pool,
      `SELECT * FROM deliveries WHERE project_id = $1 AND ($2::text IS NULL OR webhook_id = $2)
       AND ($3::text IS NULL OR event_id = $3) AND ($4::text IS NULL OR state = $4)
       ORDER BY created_at, id LIMIT $5 OFFSET $6`,
      [projectId, filter.webhookId ?? null, filter.eventId ?? null, filter.state ?? null, page.pageSize + 1, page.offset],
    );
    // All the page's attempts in one query rather than one per delivery.
    const attempts = rows.length === 0 ? [] : await all<AttemptRow>(
      this.pool,
      "SELECT * FROM attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt_number",
      [rows.map((r) => r.id)],
    );
    const attemptsOf = new Map<string, Attempt[]>();
    for (const row of attempts) {
      const list = attemptsOf.get(row.delivery_id) ?? [];
      list.push(toAttempt(row));
      attemptsOf.set(row.delivery_id, list);
    }
    return toPage(rows.map((row) => ({ ...toDelivery(row), attempts: attemptsOf.get(row.id) ?? [] })), page);
  }

  async recoverDeliveries(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number> {
    return this.transaction(async (db) => {
      const recovered = await db.query(
        `UPDATE deliveries SET state = 'pending', next_attempt_at = $1, window_start_at = $1, updated_at = $1
         WHERE project_id = $2 AND webhook_id = $3 AND state = 'failed' AND created_at >= $4 AND created_at < $5`,
        [ms(now), projectId, webhookId, ms(since), ms(until)],
      );
      if (recovered.rowCount) await notifyDeliveries(db);
      return recovered.rowCount ?? 0;
    });
  }

  // --- signing keys ---

  async insertBatch(batch: Batch, lines: readonly BatchLine[]): Promise<void> {
    await this.transaction(async (db) => {
      const p = batchParams(batch);
      await db.query(
        `INSERT INTO batches (id, project_id, display_name, model, state, input_file, request_count, successful_request_count,
         failed_request_count, webhook_config, output_file, error, deadline_at, created_at, updated_at, ended_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [p.id, p.project_id, p.display_name, p.model, p.state, p.input_file, p.request_count, p.successful_request_count,
          p.failed_request_count, p.webhook_config, p.output_file, p.error, ms(p.deadline_at), ms(p.created_at), ms(p.updated_at), optMs(batch.endedAt)],
      );
      // Thousands of lines: one UNNEST per chunk instead of a round trip per line.
      for (let i = 0; i < lines.length; i += 5000) {
        const chunk = lines.slice(i, i + 5000);
        await db.query(
          `INSERT INTO batch_lines (batch_id, line_index, key, request, state, result)
           SELECT $1, * FROM UNNEST($2::int[], $3::text[], $4::text[], $5::text[], $6::text[])`,
          [batch.id, chunk.map((l) => l.index), chunk.map((l) => l.key), chunk.map((l) => l.request ?? null), chunk.map((l) => l.state), chunk.map((l) => l.result ?? null)],
        );
      }
    });
  }

  async getBatch(projectId: string, id: string): Promise<Batch | undefined> {
    const row = await first<BatchRow>(this.pool, "SELECT * FROM batches WHERE project_id = $1 AND id = $2", [projectId, id]);
    return row && toBatch(row);
  }

  async listBatches(projectId: string, page: PageRequest): Promise<Page<Batch>> {
    const rows = await all<BatchRow>(this.pool, "SELECT * FROM batches WHERE project_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3", [projectId, page.pageSize + 1, page.offset]);
    return toPage(rows.map(toBatch), page);
  }

  async deleteBatch(projectId: string, id: string): Promise<boolean> {
    const result = await this.pool.query("DELETE FROM batches WHERE project_id = $1 AND id = $2", [projectId, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async claimBatch(now: number, leaseUntil: number): Promise<Batch | undefined> {
    const row = await first<BatchRow>(
      this.pool,
      `UPDATE batches SET state = 'BATCH_STATE_RUNNING', lease_until = $2, updated_at = $1
       WHERE id = (SELECT id FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')
                   AND (lease_until IS NULL OR lease_until < $1) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [ms(now), ms(leaseUntil)],
    );
    return row && toBatch(row);
  }

  async renewBatchLease(id: string, leaseUntil: number): Promise<void> {
    await this.pool.query("UPDATE batches SET lease_until = $2 WHERE id = $1", [id, ms(leaseUntil)]);
  }

  async pendingBatchLines(batchId: string, limit: number): Promise<BatchLine[]> {
    const rows = await all<BatchLineRow>(this.pool, "SELECT * FROM batch_lines WHERE batch_id = $1 AND state = 'pending' ORDER BY line_index LIMIT $2", [batchId, limit]);
    return rows.map(toBatchLine);
  }

  async recordBatchLines(batchId: string, lines: readonly BatchLine[], now: number): Promise<void> {
    await this.transaction(async (db) => {
      const settled = await all<{ state: string }>(
        db,
        `UPDATE batch_lines b SET state = v.state, result = v.result
         FROM UNNEST($2::int[], $3::text[], $4::text[]) AS v(line_index, state, result)
         WHERE b.batch_id = $1 AND b.line_index = v.line_index AND b.state = 'pending'
         RETURNING b.state`,
        [batchId, lines.map((l) => l.index), lines.map((l) => l.state), lines.map((l) => l.result ?? null)],
      );
      const succeeded = settled.filter((r) => r.state === "succeeded").length;
      await db.query(
        `UPDATE batches SET successful_request_count = successful_request_count + $2, failed_request_count = failed_request_count + $3,
         updated_at = $4 WHERE id = $1`,
        [batchId, succeeded, settled.length - succeeded, ms(now)],
      );
    });
  }

  async batchLines(batchId: string): Promise<BatchLine[]> {
    const rows = await all<BatchLineRow>(this.pool, "SELECT * FROM batch_lines WHERE batch_id = $1 ORDER BY line_index", [batchId]);
    return rows.map(toBatchLine);
  }

  async finishBatch(projectId: string, id: string, decide: DecideBatchFinish, now: number) {
    return this.transaction(async (db) => {
      const row = await first<BatchRow>(db, "SELECT * FROM batches WHERE project_id = $1 AND id = $2 FOR UPDATE", [projectId, id]);
      if (!row) return undefined;
      const { batch, event } = decide(toBatch(row));
      const p = batchParams(batch);
      await db.query(
        "UPDATE batches SET state = $2, output_file = $3, error = $4, updated_at = $5, ended_at = $6, lease_until = NULL WHERE id = $1",
        [p.id, p.state, p.output_file, p.error, ms(p.updated_at), optMs(batch.endedAt)],
      );
      const target: EventTarget = batch.webhookConfig ? { kind: "uris", uris: batch.webhookConfig.uris } : { kind: "subscribers" };
      await insertEventWithDeliveries(db, event, target, now);
      return { batch, event };
    });
  }

  async listExpiredBatches(now: number, limit: number): Promise<Batch[]> {
    const rows = await all<BatchRow>(
      this.pool,
      `SELECT * FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2`,
      [ms(now), limit],
    );
    return rows.map(toBatch);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = await all<SigningKeyRow>(this.pool, "SELECT * FROM signing_keys ORDER BY created_at DESC, kid");
    return rows.map(toSigningKey);
  }

  async addSigningKey(key: SigningKeyRecord, now: number): Promise<void> {
    await this.transaction(async (db) => {
      // Two processes rotating at once would each retire only the keys committed before they started
      // and leave two current keys: serialise rotations (readers are not blocked).
      await db.query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE");
      await db.query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL", [ms(now)]);
      await db.query("INSERT INTO signing_keys (kid, public_jwk, sealed_private_jwk, created_at) VALUES ($1, $2, $3, $4)", [
        key.kid, JSON.stringify(key.publicJwk), key.sealedPrivateJwk, ms(key.createdAt),
      ]);
    });
  }

  // --- plumbing ---

  /** Runs `work` in one transaction on one pooled connection: COMMIT, or ROLLBACK and rethrow. */
  private async transaction<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      // If even the ROLLBACK fails the connection is unusable: hand it back marked so the pool drops it.
      await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

// --- statements shared by several transactions ---

async function all<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.query<R>(sql, params)).rows;
}

async function first<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[] = []): Promise<R | undefined> {
  return (await all<R>(db, sql, params))[0];
}

/** MIN() of a BIGINT column: a string, or null over no rows. */
async function minimum(db: Queryable, sql: string): Promise<number | undefined> {
  const row = await first<{ at: string | null }>(db, sql);
  return row?.at == null ? undefined : Number(row.at);
}

async function failPendingDeliveries(db: Queryable, webhookId: string, reason: string, now: number): Promise<void> {
  await db.query(
    "UPDATE deliveries SET state = 'failed', leased = false, last_error = $1, updated_at = $2 WHERE webhook_id = $3 AND state = 'pending'",
    [reason, ms(now), webhookId],
  );
}

async function insertEventWithDeliveries(
  db: Queryable,
  event: StoredEvent,
  target: EventTarget,
  now: number,
  leaseUntil?: number,
): Promise<{ count: number; leased: ClaimedDelivery[] }> {
  const p = eventParams(event);
  await db.query("INSERT INTO events (id, project_id, type, operation, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)", [
    p.id, p.project_id, p.type, p.operation, p.payload, ms(p.created_at),
  ]);
  const webhooks = await webhooksForTarget(db, event.projectId, target);
  const planned = planDeliveries(event, target, webhooks, now, leaseUntil);
  await insertDeliveries(db, planned);
  return { count: planned.length, leased: bornLeased(planned, event, webhooks, now) };
}

async function webhooksForTarget(db: Queryable, projectId: string, target: EventTarget): Promise<WebhookRecord[]> {
  if (target.kind === "uris") return [];
  const rows =
    target.kind === "webhook"
      ? await all<WebhookRow>(db, "SELECT * FROM webhooks WHERE project_id = $1 AND id = $2", [projectId, target.webhookId])
      : await all<WebhookRow>(db, "SELECT * FROM webhooks WHERE project_id = $1 AND state = 'enabled'", [projectId]);
  return rows.map(toWebhook);
}

/** Inserts new deliveries in one statement (a fan-out can be large) and announces them. */
async function insertDeliveries(db: Queryable, deliveries: readonly NewDelivery[]): Promise<number> {
  if (deliveries.length === 0) return 0;
  await db.query(
    `INSERT INTO deliveries (id, project_id, event_id, webhook_id, uri, endpoint_key, state, attempt_count, next_attempt_at,
       window_start_at, created_at, updated_at, leased)
     SELECT id, project_id, event_id, webhook_id, uri, endpoint_key, 'pending', 0, next_attempt_at, window_start_at, created_at, updated_at, leased
     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::boolean[])
       AS v(id, project_id, event_id, webhook_id, uri, endpoint_key, next_attempt_at, window_start_at, created_at, updated_at, leased)`,
    [
      deliveries.map((d) => d.id),
      deliveries.map((d) => d.projectId),
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.webhookId ?? null),
      deliveries.map((d) => d.uri),
      deliveries.map((d) => d.endpointKey),
      deliveries.map((d) => ms(d.nextAttemptAt)),
      deliveries.map((d) => ms(d.windowStartAt)),
      deliveries.map((d) => ms(d.createdAt)),
      deliveries.map((d) => ms(d.updatedAt)),
      deliveries.map((d) => d.leased),
    ],
  );
  // Leased ones are already in this process's engine; only due ones concern the others.
  if (deliveries.some((d) => !d.leased)) await notifyDeliveries(db);
  return deliveries.length;
}

/**
 * Marks successes and finds the webhooks to disable, with SQLite's semantics: outcomes are taken in
 * order, and a failure counts against a webhook's last success as of that point in the batch.
 */
async function settleWebhooks(db: Queryable, outcomes: readonly AttemptOutcome[], now: number, windowMs: number): Promise<WebhookToDisable[]> {
  const succeeded = new Set<string>();
  const unsettled = new Set<string>();
  for (const { delivery, verdict } of outcomes) {
    if (delivery.webhookId !== undefined) (verdict.kind === "succeeded" ? succeeded : unsettled).add(delivery.webhookId);
  }
  const enabled = new Map<string, WebhookRecord>();
  if (unsettled.size > 0) {
    const rows = await all<WebhookRow>(db, "SELECT * FROM webhooks WHERE id = ANY($1::text[]) AND state = 'enabled'", [[...unsettled]]);
    for (const row of rows) enabled.set(row.id, toWebhook(row));
  }
  if (succeeded.size > 0) {
    // Sorted ids: concurrent batches lock shared webhook rows in the same order.
    await db.query("UPDATE webhooks SET last_success_at = $1 WHERE id = ANY($2::text[])", [ms(now), [...succeeded].sort()]);
  }

  const lastSuccess = new Map<string, number>();
  const toDisable = new Map<string, WebhookToDisable>();
  for (const { delivery, verdict } of outcomes) {
    const id = delivery.webhookId;
    if (id === undefined) continue;
    if (verdict.kind === "succeeded") {
      lastSuccess.set(id, now);
      continue;
    }
    const webhook = enabled.get(id);
    if (!webhook) continue;
    if (verdict.kind === "gone") {
      toDisable.set(id, { projectId: webhook.projectId, webhookId: id, state: "disabled", reason: "the endpoint answered 410 Gone" });
    } else if (verdict.kind === "failed" && (lastSuccess.get(id) ?? webhook.lastSuccessAt ?? webhook.createdAt) <= now - windowMs) {
      toDisable.set(id, {
        projectId: webhook.projectId,
        webhookId: id,
        state: "disabled_due_to_failed_deliveries",
        reason: "no successful delivery for 24 hours and deliveries exhausted their retries",
      });
    }
  }
  return [...toDisable.values()];
}

/** Keeps the last of several items with the same key, in their original order otherwise. */
function lastByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

/**
 * One statement for the batch. Idempotent on (delivery_id, attempt_number), like SQLite's INSERT OR
 * REPLACE. A statement may not upsert the same row twice, so duplicates keep the last, as a loop would.
 */
async function insertAttempts(db: Queryable, attempts: readonly Attempt[]): Promise<void> {
  const rows = lastByKey(attempts, (a) => `${a.deliveryId}\u0000${a.attemptNumber}`).map(attemptParams);
  await db.query(
    `INSERT INTO attempts (delivery_id, attempt_number, started_at, status_code, latency_ms, error, response_excerpt, request_headers)
     SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::int[], $5::float8[], $6::text[], $7::text[], $8::text[])
     ON CONFLICT (delivery_id, attempt_number) DO UPDATE SET
       started_at = EXCLUDED.started_at, status_code = EXCLUDED.status_code, latency_ms = EXCLUDED.latency_ms,
       error = EXCLUDED.error, response_excerpt = EXCLUDED.response_excerpt, request_headers = EXCLUDED.request_headers`,
    [
      rows.map((r) => r.delivery_id),
      rows.map((r) => r.attempt_number),
      rows.map((r) => ms(r.started_at)),
      rows.map((r) => r.status_code),
      rows.map((r) => r.latency_ms),
      rows.map((r) => r.error),
      rows.map((r) => r.response_excerpt),
      rows.map((r) => r.request_headers),
    ],
  );
}

/**
 * Applies the verdicts in one statement. `state = 'pending'` leaves alone a delivery that was failed
 * meanwhile (its webhook disabled or deleted). An UPDATE ... FROM applies one source row per target
 * row, so a delivery listed twice keeps its last outcome.
 */
async function settleDeliveries(db: Queryable, outcomes: readonly AttemptOutcome[], now: number): Promise<void> {
  const settled = lastByKey(outcomes, (o) => o.delivery.id).map(({ delivery, attempt, verdict }) => ({
    id: delivery.id,
    state: verdict.kind === "succeeded" ? "succeeded" : verdict.kind === "retry" ? "pending" : "failed",
    attemptCount: attempt.attemptNumber,
    nextAttemptAt: ms(verdict.kind === "retry" ? verdict.at : now),
    error: verdict.kind === "succeeded" ? null : verdict.kind === "gone" ? "HTTP 410 Gone" : verdict.error,
    statusCode: attempt.statusCode ?? null,
  }));
  await db.query(
    `UPDATE deliveries d SET state = v.state, attempt_count = v.attempt_count, next_attempt_at = v.next_attempt_at, leased = false,
       last_error = v.last_error, last_status_code = v.last_status_code, updated_at = $7
     FROM UNNEST($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::int[])
       AS v(id, state, attempt_count, next_attempt_at, last_error, last_status_code)
     WHERE d.id = v.id AND d.state = 'pending'`,
    [
      settled.map((s) => s.id),
      settled.map((s) => s.state),
      settled.map((s) => s.attemptCount),
      settled.map((s) => s.nextAttemptAt),
      settled.map((s) => s.error),
      settled.map((s) => s.statusCode),
      ms(now),
    ],
  );
}

/** The pool's connection settings, with the search_path pointing at `schema` when one is given. */
function connectionConfig(url: string, schema: string | undefined): pg.ClientConfig {
  if (schema === undefined) return { connectionString: url };
  // Interpolated into SQL and into the startup options, so only plain lower-case identifiers (which
  // also need no quoting, and so mean the same in both places).
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`PostgreSQL schema "${schema}": use lower-case letters, digits and underscores`);
  }
  // A connection string's own `options` override the config's in pg, so the search_path goes into the
  // URL, after any options it already has.
  const parsed = new URL(url);
  const options = [parsed.searchParams.get("options"), `-c search_path=${schema}`].filter(Boolean).join(" ");
  parsed.searchParams.set("options", options);
  return { connectionString: parsed.toString() };
}
